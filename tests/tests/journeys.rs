//! Journeys 1 and 2 of issue 10 in real Chromium, each with JavaScript on
//! and off. The relative and one moderator at a time walk their pages in
//! the browser as people do (links, buttons, typing); the other staff act
//! over HTTP. At each step the test reads what that person sees.
//!
//! 1. A mother sends a request; moderator 1 takes it up and asks; she
//!    answers; moderator 1 proposes a match with a note; moderator 2 sends
//!    it back with a note; moderator 1 proposes again; moderator 2 approves
//!    with a message; she reads the release and replies.
//! 2. Moderator 1 holds two requests and goes away: an admin hands one to
//!    moderator 2 from the claims page, and disabling moderator 1 puts the
//!    other back in the queue; moderator 2 finishes both.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use findkin_tests::browser::Browser;
use findkin_tests::relative::{act, request_id, submit};
use findkin_tests::staff::{between, first_login};
use findkin_tests::workflow::{page, request_body};
use findkin_tests::{findkin, staff_registry, stderr, stdout, totp_code, unix_now, Server};
use reqwest::StatusCode;

async fn type_into(b: &Browser, id: &str, text: &str) {
    let field = b.c().find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.send_keys(text).await.unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
}

async fn click(b: &Browser, css: &str) {
    let el = b.c().find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.click().await.unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn click_link(b: &Browser, text: &str) {
    let el = b.c().find(Locator::LinkText(text)).await.unwrap_or_else(|e| panic!("link {text:?}: {e}"));
    el.click().await.unwrap_or_else(|e| panic!("clicking {text:?}: {e}"));
}

/// The page's text, or nothing while a new page is still loading (there
/// may be no body for a moment after a click).
async fn page_text(b: &Browser) -> String {
    match b.c().find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits (bounded) until the page shows `needle`, checks that the console
/// stayed clean, and returns the page's text.
async fn sees(b: &Browser, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let body = page_text(b).await;
        if body.contains(needle) {
            b.assert_console_clean(needle).await;
            return body;
        }
        if started.elapsed() > Duration::from_secs(20) {
            panic!("{needle:?} never shown; the page says:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element matching `css`.
async fn text_of(b: &Browser, css: &str) -> String {
    let el = b.c().wait().for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.text().await.unwrap_or_default()
}

/// Goes to a script-free page and checks the console stayed clean.
async fn visit(b: &Browser, url: &str) {
    b.c().goto(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    b.assert_console_clean(url).await;
}

/// A staff member's first sign-in in the browser: one-time password, a
/// new password, enrolment of the authenticator (a code computed from the
/// secret the page shows). Ends on the dashboard.
async fn sign_in(b: &Browser, s: &Server, name: &str, one_time: &str) {
    visit(b, &s.url("/staff/login")).await;
    type_into(b, "name", name).await;
    type_into(b, "password", one_time).await;
    click(b, "form button[type=submit]").await;
    b.c().wait().for_element(Locator::Id("new_password")).await.expect("new password form");
    let password = format!("{one_time}-in-the-browser");
    type_into(b, "current_password", one_time).await;
    type_into(b, "new_password", &password).await;
    type_into(b, "repeat", &password).await;
    click(b, "form button[type=submit]").await;
    let secret = text_of(b, "#totp-secret").await;
    type_into(b, "code", &totp_code(&secret, unix_now())).await;
    click(b, "form button[type=submit]").await;
    sees(b, &format!("{name} ·")).await;
}

async fn sign_out(b: &Browser) {
    click(b, ".staff-nav form button").await;
    b.c().wait().for_element(Locator::Id("password")).await.expect("the sign-in form again");
}

/// From anywhere in the console: the queue, then the request by its reference.
async fn open_from_queue(b: &Browser, reference: &str) -> String {
    click(b, ".staff-nav a[href='/staff/requests']").await;
    sees(b, "Все открытые и с новым ответом").await;
    let row = queue_row(b, reference).await;
    click_link(b, reference).await;
    sees(b, "История запроса").await;
    row
}

/// The queue row of a request, as the moderator reads it.
async fn queue_row(b: &Browser, reference: &str) -> String {
    for row in b.c().find_all(Locator::Css("table.queue tbody tr")).await.expect("rows") {
        let text = row.text().await.unwrap_or_default();
        if text.contains(reference) {
            return text;
        }
    }
    panic!("{reference} is not in the queue: {}", page_text(b).await)
}

/// What the relative's status page says now: the state sentence and who acts.
async fn relative_sees(b: &Browser, link: &str) -> String {
    visit(b, link).await;
    text_of(b, ".panel.now").await
}

/// The relative sends a request from the home page through the form, as a
/// person would; returns the secret status link and the reference.
async fn relative_sends(b: &Browser, s: &Server, name: &str, email: &str) -> (String, String) {
    b.open(&s.url("/")).await;
    click(b, ".cta a.button").await;
    b.c().wait().for_element(Locator::Id("sought_name")).await.expect("the request form");
    for (id, text) in [
        ("requester_name", name),
        ("relationship", "мать"),
        ("email", email),
        ("sought_name", "Лаврентьев Остап Ильич"),
        ("sought_birth", "02.01.1990"),
        ("sought_region", "Тульская область"),
    ] {
        type_into(b, id, text).await;
    }
    click(b, "#consent").await;
    click(b, ".request-form button[type=submit].primary").await;
    let link = text_of(b, "code.secret-link").await;
    let reference = link.split("/status/").nth(1).and_then(|r| r.split('?').next()).unwrap_or_default().to_string();
    assert!(reference.starts_with("FK-"), "{link}");
    let now = text_of(b, ".panel.now").await;
    assert!(now.contains("Запрос получен и ждёт модератора"), "{now}");
    b.assert_console_clean("the status page after sending").await;
    (link, reference)
}

/// The relative writes on her status page.
async fn relative_replies(b: &Browser, link: &str, text: &str) {
    visit(b, link).await;
    type_into(b, "body", text).await;
    click(b, ".reply button[type=submit]").await;
    sees(b, "Сообщение отправлено.").await;
}

/// Moderator 1 proposes record S1 from the request page, with a note.
async fn propose(b: &Browser, note: &str) -> String {
    click(b, "#cand-1").await;
    type_into(b, "propose-note", note).await;
    click(b, "form.propose button[type=submit]").await;
    sees(b, "нужен второй модератор (не m1)").await
}

async fn the_loop_closes(javascript: bool) {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let b = Browser::start(javascript).await;

    // 1. The relative sends her request.
    let (link, reference) = relative_sends(&b, &s, "Мария", "maria@example.org").await;

    // 2. Moderator 1 (in the same browser) finds it waiting and takes it up.
    sign_in(&b, &s, "m1", &creds[0].1).await;
    let dash = sees(&b, "Открытые запросы").await;
    assert!(dash.contains("Новый, ждёт модератора: 1 · самый старый ждёт меньше часа"), "{dash}");
    assert!(dash.contains(&format!("Дольше всех ждёт: {reference}")), "{dash}");
    let row = open_from_queue(&b, &reference).await;
    assert!(row.contains("новый, ждёт модератора") && row.contains("ход: любой модератор"), "{row}");
    let request = sees(&b, "Свободен: его может взять любой модератор.").await;
    assert!(request.contains("Имя заявителя") && request.contains("Мария"), "staff labels: {request}");
    assert!(!request.contains("Ваше имя"), "no labels written for the relative");
    click(&b, "form[action$='/claim'] button").await;
    let held = sees(&b, "В работе у: m1").await;
    assert!(held.contains("ход: m1") && held.contains("Вернуть в очередь"), "{held}");
    let question = "Есть ли у него особые приметы — шрамы, татуировки?";
    type_into(&b, "ask-message", question).await;
    click(&b, "form[action$='/ask'] button").await;
    let asked = sees(&b, "ждём ответа родственника").await;
    assert!(asked.contains("ждёт ответа родственника") && asked.contains(question), "{asked}");
    assert!(asked.contains("задал вопрос родственнику"), "the history in words: {asked}");

    // 3. She reads the question and answers it.
    let now = relative_sees(&b, &link).await;
    assert!(now.contains("Модератор задал вопрос — ответьте ниже") && now.contains("вы — ответьте"), "{now}");
    assert!(text_of(&b, ".panel.word").await.contains(question));
    let answer = "Шрам на левой руке, над локтем.";
    relative_replies(&b, &link, answer).await;
    assert!(text_of(&b, ".panel.now").await.contains("Модератор проверяет ваш запрос"));

    // 4. Moderator 1 sees the new reply, and proposes the match with a note.
    b.c().goto(&s.url("/staff")).await.expect("console");
    let row = open_from_queue(&b, &reference).await;
    assert!(row.contains("новый ответ") && row.contains("ход: m1"), "{row}");
    let request = sees(&b, "Новый ответ родственника").await;
    assert!(text_of(&b, ".msg.you.new").await.contains(answer), "the answer is marked new");
    assert!(request.contains("на проверке у модератора"), "{request}");
    let first_note = "Имя, дата рождения и регион совпадают.";
    let proposed = propose(&b, first_note).await;
    assert!(proposed.contains("Это совпадение предложили вы"), "{proposed}");
    assert!(b.c().find(Locator::Css("form[action$='/approve']")).await.is_err(), "not for the proposer");
    let now = relative_sees(&b, &link).await;
    assert!(!now.contains("нашли"), "nothing is told before a second moderator decides: {now}");

    // 5. Moderator 2 (over HTTP) sees the evidence and sends it back.
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let id = request_id(&s, &m2, &reference).await;
    let approval = page(&s, &m2, &format!("/staff/requests/{id}")).await;
    assert!(approval.contains(first_note) && approval.contains("<mark>Лаврентьев</mark>"), "{approval}");
    let send_back = "Проверьте приметы: в записи о шраме ничего нет.";
    assert_eq!(act(&s, &m2, id, "return", &[("note", send_back)]).await, StatusCode::SEE_OTHER);

    // 6. Moderator 1 has it back, with the note, and proposes again.
    b.c().goto(&s.url("/staff")).await.expect("console");
    let row = open_from_queue(&b, &reference).await;
    assert!(row.contains("на проверке у модератора") && row.contains("ход: m1"), "{row}");
    let back = sees(&b, &format!("вернул на доработку: {send_back}")).await;
    assert!(back.contains("m2"), "who sent it back: {back}");
    let second_note = "Шрама в записи нет, но всё остальное совпадает; родственница подтвердит.";
    propose(&b, second_note).await;

    // 7. Moderator 2 approves with a message to the relative.
    let approval = page(&s, &m2, &format!("/staff/requests/{id}")).await;
    let note = between(&approval, "<blockquote class=\"proposer-note\">", "</blockquote>").expect("note");
    assert_eq!(note, second_note, "the latest proposal's note");
    let message = "Мы нашли его в реестре. Ниже — что о нём известно; если что-то не так, напишите нам.";
    assert_eq!(act(&s, &m2, id, "approve", &[("message", message)]).await, StatusCode::SEE_OTHER);
    b.c().refresh().await.expect("reload");
    let decided = sees(&b, "сведения переданы родственнику").await;
    assert!(decided.contains("закрыт, действий не нужно"), "{decided}");
    assert!(decided.contains("одобрил совпадение, сведения переданы"), "{decided}");

    // 8. She reads the release and replies.
    let now = relative_sees(&b, &link).await;
    assert!(now.contains("Модераторы нашли запись в реестре"), "{now}");
    assert!(text_of(&b, ".panel.word").await.contains(message), "the approver's words come first");
    let released = text_of(&b, "section.released").await;
    assert!(released.contains("Лаврентьев") && released.contains("в плену"), "{released}");
    assert!(released.contains("2 января 1990"), "plain dates: {released}");
    let thanks = "Спасибо! Как можно ему написать?";
    relative_replies(&b, &link, thanks).await;

    // The reply reaches the console: a closed request with a new reply is
    // any moderator's turn.
    b.c().goto(&s.url("/staff")).await.expect("console");
    let row = open_from_queue(&b, &reference).await;
    assert!(row.contains("новый ответ") && row.contains("ход: любой модератор"), "{row}");
    assert!(text_of(&b, ".msg.you.new").await.contains(thanks));
    assert!(b.c().find(Locator::Css("form[action$='/message']")).await.is_ok(), "and can be answered");
    b.close().await;
}

async fn a_claim_left_behind_is_handed_on(javascript: bool) {
    let (dir, creds) =
        staff_registry(&[("m1", "moderator"), ("m2", "moderator"), ("m3", "moderator"), ("adm", "admin")]);
    let s = Server::start(dir.path(), &[]);
    let b = Browser::start(javascript).await;
    let (link, first) = relative_sends(&b, &s, "Ольга", "olga@example.org").await;
    let (second, _) = submit(&s, &request_body("Зоя")).await;

    // Moderator 1 (over HTTP) takes up both, then goes away.
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (a, b_id) = (request_id(&s, &m1, &first).await, request_id(&s, &m1, &second).await);
    for id in [a, b_id] {
        assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    }

    // The admin (in the browser) sees who holds what and hands the second to m2.
    sign_in(&b, &s, "adm", &creds[3].1).await;
    click(&b, ".staff-nav a[href='/staff/claims']").await;
    let claims = sees(&b, "Содержимое запросов здесь не показывается").await;
    assert!(claims.contains(&first) && claims.contains(&second), "{claims}");
    assert!(!claims.contains("Ольга") && !claims.contains("Лаврентьев"), "no request content: {claims}");
    let select = format!("#to-{b_id} option[value='2']");
    click(&b, &select).await;
    click(&b, &format!("form[action='/staff/claims/{b_id}'] button")).await;
    let handed = sees(&b, "Готово.").await;
    let row = handed.lines().find(|l| l.contains(&second)).unwrap_or_default().to_string();
    assert!(row.contains("m2"), "now held by m2: {row}");

    // Moderator 1's account is disabled: the first request goes back to the queue.
    let out = findkin(dir.path(), &["user", "disable", "m1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 request(s)"), "{}", stdout(&out));
    b.c().refresh().await.expect("reload");
    let claims = sees(&b, "Содержимое запросов здесь не показывается").await;
    assert!(!claims.contains(&first), "no longer held: {claims}");
    sign_out(&b).await;

    // Moderator 2 (in the browser) sees both: one handed to them, one free.
    sign_in(&b, &s, "m2", &creds[1].1).await;
    let dash = sees(&b, "Ждёт меня").await;
    assert!(dash.contains("У меня в работе: 1"), "{dash}");
    let row = open_from_queue(&b, &first).await;
    assert!(row.contains("новый, ждёт модератора") && row.contains("ход: любой модератор"), "{row}");
    let freed = sees(&b, "учётная запись модератора отключена").await;
    assert!(freed.contains("Свободен") && freed.contains("система"), "{freed}");
    click(&b, "form[action$='/claim'] button").await;
    sees(&b, "В работе у: m2").await;
    click(&b, "#cand-1").await;
    type_into(&b, "propose-note", "Всё совпадает.").await;
    click(&b, "form.propose button[type=submit]").await;
    sees(&b, "нужен второй модератор (не m2)").await;

    // The handed request: m2 closes it, in words to the relative.
    let row = open_from_queue(&b, &second).await;
    assert!(row.contains("ход: m2"), "{row}");
    sees(&b, "администратор передал запрос: m2").await;
    let explanation = "В реестре его пока нет. Мы проверим снова, когда придут новые списки.";
    type_into(&b, "no-match-message", explanation).await;
    click(&b, "form[action$='/no-match'] button").await;
    sees(&b, "закрыт: совпадения нет").await;

    // A third moderator approves the first; the relative reads the release.
    let m3 = first_login(&s, &creds[2].0, &creds[2].1).await;
    let message = "Мы нашли его в реестре.";
    assert_eq!(act(&s, &m3, a, "approve", &[("message", message)]).await, StatusCode::SEE_OTHER);
    let now = relative_sees(&b, &link).await;
    assert!(now.contains("Модераторы нашли запись в реестре"), "{now}");
    assert!(text_of(&b, ".panel.word").await.contains(message));
    b.close().await;
}

#[tokio::test]
async fn journey_1_the_loop_closes_with_javascript() {
    the_loop_closes(true).await;
}

#[tokio::test]
async fn journey_1_the_loop_closes_without_javascript() {
    the_loop_closes(false).await;
}

#[tokio::test]
async fn journey_2_a_claim_left_behind_is_handed_on_with_javascript() {
    a_claim_left_behind_is_handed_on(true).await;
}

#[tokio::test]
async fn journey_2_a_claim_left_behind_is_handed_on_without_javascript() {
    a_claim_left_behind_is_handed_on(false).await;
}
