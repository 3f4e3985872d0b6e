//! The moderation console over HTTP (issue 10, points 1, 3 and 7): the
//! queue says what waits and whose turn it is, claims are released and
//! handed over, the second moderator decides on evidence (both sides, the
//! proposer's note, edits since the proposal), and the console speaks to
//! staff in words, never in codes or in the relative's labels.

use findkin_tests::relative::{act, edit_record, request_id, submit};
use findkin_tests::staff::{between, csrf, first_login, post};
use findkin_tests::workflow::{page, relative_writes, request_body};
use findkin_tests::{findkin, staff_registry, stderr, Server};
use reqwest::StatusCode;

/// The queue's header, up to the filter form.
fn header(queue: &str) -> &str {
    between(queue, "class=\"queue-head\"", "</nav>").expect("queue header")
}

/// The queue row of `reference`.
fn row<'a>(queue: &'a str, reference: &str) -> &'a str {
    let at = queue.find(reference).unwrap_or_else(|| panic!("{reference} not in the queue: {queue}"));
    let start = queue[..at].rfind("<tr").unwrap_or(at);
    let end = queue[at..].find("</tr>").map_or(queue.len(), |e| at + e);
    &queue[start..end]
}

/// What a page must never show staff: stored codes and the relative's labels.
fn assert_speaks_to_staff(html: &str) {
    for raw in [
        "requester_adds_info",
        "propose_match",
        "ask_info",
        "return_to_review",
        "release_claim",
        ">in_review<",
        ">needs_info<",
        ">match_proposed<",
        ">requester<",
        "account disabled",
        "Ваше имя",
        "Отозван вами",
        "(exact)",
        "(fuzzy)",
    ] {
        assert!(!html.contains(raw), "{raw:?} shown to staff");
    }
}

#[tokio::test]
async fn the_queue_shows_replies_turns_and_approvals_and_the_approver_sees_the_evidence() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator"), ("ed", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let ed = first_login(&s, &creds[2].0, &creds[2].1).await;
    let (reference, token) = submit(&s, &request_body("Анна")).await;
    let id = request_id(&s, &m1, &reference).await;

    let queue = page(&s, &m2, "/staff/requests").await;
    assert!(header(&queue).contains("Новый, ждёт модератора: 1 · самый старый ждёт меньше часа"), "{queue}");
    assert!(row(&queue, &reference).contains("ход: любой модератор"), "{queue}");

    // m1 takes it up and asks; the relative answers.
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    let question = [("message", "Какой у него рост?")];
    assert_eq!(act(&s, &m1, id, "ask", &question).await, StatusCode::SEE_OTHER);
    let queue = page(&s, &m2, "/staff/requests").await;
    assert!(row(&queue, &reference).contains("ждём ответа родственника"), "{queue}");
    assert!(header(&queue).contains("Новых ответов нет"), "{queue}");
    relative_writes(&s, &reference, &token, "Рост 180 см, шрам на левой руке").await;

    // Everyone's queue shows the new reply; the turn is m1's, who asked.
    let queue = page(&s, &m2, "/staff/requests").await;
    let r = row(&queue, &reference);
    assert!(r.contains("новый ответ") && r.contains("ход: m1") && r.contains("на проверке у модератора"), "{r}");
    assert!(header(&queue).contains("Новые ответы родственников: 1 · самый старый ждёт меньше часа"), "{queue}");
    let replies = page(&s, &m2, "/staff/requests?view=new_reply").await;
    assert!(replies.contains(&reference) && replies.contains("aria-current=\"page\""), "the count links to its list");
    assert!(header(&page(&s, &m1, "/staff/requests").await).contains("У меня в работе: 1"));
    assert!(header(&queue).contains("У меня в работе: 0"), "m2 holds nothing");

    // m1 has the review actions again and sees the answer marked new;
    // m2, who does not hold it, has no forms at all.
    let mine = page(&s, &m1, &format!("/staff/requests/{id}")).await;
    assert!(mine.contains("Новый ответ родственника"), "{mine}");
    assert!(between(&mine, "class=\"msg you new\"", "</li>").is_some_and(|m| m.contains("Рост 180 см")), "{mine}");
    for form in ["/ask\"", "/no-match\"", "/reject\"", "/propose\"", "/release\"", "/message\""] {
        assert!(mine.contains(form), "the holder has {form}");
    }
    let theirs = page(&s, &m2, &format!("/staff/requests/{id}")).await;
    for form in
        ["/ask\"", "/no-match\"", "/reject\"", "/propose\"", "/release\"", "/claim\"", "/message\"", "/approve\""]
    {
        assert!(!theirs.contains(form), "m2 may not {form} now");
    }
    assert_eq!(act(&s, &m2, id, "message", &[("message", "Здравствуйте")]).await, StatusCode::CONFLICT);

    // m1 proposes with a note: it waits for m2's approval, not for m1's.
    let note = "Дата рождения и регион совпадают, рост по базе 180";
    assert_eq!(act(&s, &m1, id, "propose", &[("record_id", "1"), ("note", note)]).await, StatusCode::SEE_OTHER);
    let queue2 = page(&s, &m2, "/staff/requests").await;
    assert!(header(&queue2).contains("Ждут моего одобрения: 1"), "{queue2}");
    assert!(row(&queue2, &reference).contains("нужен второй модератор (не m1)"), "{queue2}");
    assert!(!row(&queue2, &reference).contains("новый ответ"), "proposing answered the reply");
    assert!(header(&page(&s, &m1, "/staff/requests").await).contains("Ждут моего одобрения: 0"), "not the proposer's");
    assert!(page(&s, &m2, "/staff/requests?view=my_approval").await.contains(&reference));
    assert!(!page(&s, &m1, "/staff/requests?view=my_approval").await.contains(&reference));

    // The approval page: both sides, the matching fields marked, the note.
    let approval = page(&s, &m2, &format!("/staff/requests/{id}")).await;
    let table = between(&approval, "<table class=\"side-by-side\">", "</table>").expect("side by side");
    assert!(table.contains("Лаврентьев Остап Ильич"), "the request's side: {table}");
    assert!(table.contains("<mark>Лаврентьев</mark>") && table.contains("<mark>1990-01-02</mark>"), "{table}");
    assert!(table.contains("<mark>Тульская область</mark>") && table.contains("в плену"), "{table}");
    assert!(approval.contains(note), "the proposer's note");
    assert!(approval.contains("Лаврентьев Остап Ильич (S1)"), "the record by name, not only its id");
    assert!(!approval.contains("Запись изменена после предложения"));
    assert!(approval.contains("/approve\"") && approval.contains("/return\""));
    assert!(approval.contains("увидит родственник") && approval.contains("увидят только модераторы"));
    let own = page(&s, &m1, &format!("/staff/requests/{id}")).await;
    assert!(!own.contains("/approve\"") && own.contains("Это совпадение предложили вы"), "{own}");

    // An editor changes the record after the proposal: the approver sees it.
    assert_eq!(edit_record(&s, &ed, 1, "status", "deceased").await, StatusCode::SEE_OTHER);
    assert_eq!(edit_record(&s, &ed, 1, "unit", "в/ч 31415").await, StatusCode::SEE_OTHER);
    let approval = page(&s, &m2, &format!("/staff/requests/{id}")).await;
    let changed = between(&approval, "Запись изменена после предложения", "</div>").expect("changes shown");
    assert!(changed.contains("в плену") && changed.contains("погиб") && changed.contains("в/ч 31415"), "{changed}");
    assert!(changed.contains("ed"), "who changed it: {changed}");

    // Returned with a note, the request is m1's again, and the history says
    // every step in words.
    let back = [("note", "Проверьте часть: в записи теперь другая")];
    assert_eq!(act(&s, &m2, id, "return", &[]).await, StatusCode::CONFLICT, "a return needs a note");
    assert_eq!(act(&s, &m2, id, "return", &back).await, StatusCode::SEE_OTHER);
    let mine = page(&s, &m1, &format!("/staff/requests/{id}")).await;
    let history = between(&mine, "<table class=\"history\">", "</table>").expect("history");
    for words in [
        "отправил(а) запрос",
        "взял в работу",
        "задал вопрос родственнику",
        "ответ родственника",
        "предложил совпадение: Дата рождения и регион совпадают",
        "вернул на доработку: Проверьте часть",
    ] {
        assert!(history.contains(words), "{words:?} in the history: {history}");
    }
    assert_speaks_to_staff(&mine);
    assert_speaks_to_staff(&approval);
    assert!(mine.contains("Имя заявителя") && mine.contains("Анна"), "staff labels for the requester");
    assert_speaks_to_staff(&page(&s, &m1, "/staff/requests").await);
    assert_speaks_to_staff(&page(&s, &m1, "/staff").await);
}

/// The id a moderator has in the claims page's hand-over list.
fn moderator_id(claims: &str, name: &str) -> String {
    let at = claims.find(&format!(">{name}</option>")).unwrap_or_else(|| panic!("{name} not offered: {claims}"));
    let tag = &claims[claims[..at].rfind("<option").unwrap_or(0)..at];
    between(tag, "value=\"", "\"").expect("option value").to_string()
}

#[tokio::test]
async fn claims_are_given_back_and_handed_over_by_an_admin_only() {
    let accounts = [("m1", "moderator"), ("m2", "moderator"), ("m3", "moderator"), ("ed", "editor"), ("adm", "admin")];
    let (dir, creds) = staff_registry(&accounts);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let adm = first_login(&s, &creds[4].0, &creds[4].1).await;
    let (first, _) = submit(&s, &request_body("Вера")).await;
    let (second, _) = submit(&s, &request_body("Зоя")).await;
    let (a, b) = (request_id(&s, &m1, &first).await, request_id(&s, &m1, &second).await);

    // The holder gives a request back; another moderator takes it up.
    assert_eq!(act(&s, &m1, a, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m2, a, "release", &[]).await, StatusCode::CONFLICT, "only the holder gives it back");
    let held = page(&s, &m1, &format!("/staff/requests/{a}")).await;
    assert!(held.contains("Вернуть в очередь") && !held.contains("/claim\""), "{held}");
    assert_eq!(act(&s, &m1, a, "release", &[]).await, StatusCode::SEE_OTHER);
    let free = page(&s, &m2, &format!("/staff/requests/{a}")).await;
    assert!(free.contains("Свободен") && free.contains("/claim\"") && !free.contains("/release\""), "{free}");
    assert!(free.contains("вернул в очередь"), "the history says so: {free}");
    assert_eq!(act(&s, &m2, a, "claim", &[]).await, StatusCode::SEE_OTHER);

    // The admin's page: who holds what, without the request's content.
    assert_eq!(act(&s, &m1, b, "claim", &[]).await, StatusCode::SEE_OTHER);
    let claims = page(&s, &adm, "/staff/claims").await;
    assert!(page(&s, &adm, "/staff").await.contains("href=\"/staff/claims\""), "admins have a link to it");
    assert!(claims.contains(&first) && claims.contains(&second), "{claims}");
    assert!(claims.contains("на проверке у модератора") && claims.contains(">m1<"), "{claims}");
    for content in ["Вера", "Зоя", "Лаврентьев", "mother@example.org", "мать"] {
        assert!(!claims.contains(content), "{content:?} is request content: admins do not moderate");
    }
    let (m1_id, m2_id, m3_id) = (moderator_id(&claims, "m1"), moderator_id(&claims, "m2"), moderator_id(&claims, "m3"));
    assert_eq!((m1_id.as_str(), m3_id.as_str()), ("1", "3"), "accounts are numbered as they were created");
    let editor_id = "4";

    // Moderators cannot move claims.
    let (st, _) = findkin_tests::staff::text(&m1.c, &s.url("/staff/claims")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let token = csrf(&m1.c, &s.url("/staff/requests")).await;
    let (st, _, _) = post(&m1.c, &s.url(&format!("/staff/claims/{b}")), &[("csrf", &token), ("to", &m2_id)]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Nor can an admin hand a request to a disabled account or a non-moderator.
    let out = findkin(dir.path(), &["user", "disable", "m3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hand = |to: String| {
        let adm = &adm;
        let s = &s;
        async move {
            let token = csrf(&adm.c, &s.url("/staff/claims")).await;
            post(&adm.c, &s.url(&format!("/staff/claims/{b}")), &[("csrf", &token), ("to", &to)]).await
        }
    };
    for to in [m3_id.clone(), editor_id.to_string()] {
        let (st, _, body) = hand(to.clone()).await;
        assert_eq!(st, StatusCode::CONFLICT, "to {to}");
        assert!(body.contains("Запрос можно передать только действующему модератору."), "{body}");
    }
    assert!(!page(&s, &adm, "/staff/claims").await.contains(">m3</option>"), "a disabled account is not offered");
    let (st, loc, _) = hand("somebody".into()).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/claims?err=staff.notice.moderator_needed"));

    // Handed to m2: m2 holds it and can decide it; m1 no longer can.
    let (st, loc, _) = hand(m2_id.clone()).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/claims?ok=staff.notice.step_done"));
    let claims = page(&s, &adm, "/staff/claims?ok=staff.notice.step_done").await;
    assert!(claims.contains("Готово."), "{claims}");
    let now_m2 = page(&s, &m2, &format!("/staff/requests/{b}")).await;
    assert!(now_m2.contains("В работе у: m2") && now_m2.contains("/no-match\""), "{now_m2}");
    assert!(now_m2.contains("администратор передал запрос: m2"), "the history says who got it: {now_m2}");
    let st = act(&s, &m1, b, "no-match", &[("message", "Нет")]).await;
    assert_eq!(st, StatusCode::CONFLICT, "m1 no longer holds it");
    let words = [("message", "В реестре его пока нет. Мы проверим снова, когда придут новые списки.")];
    assert_eq!(act(&s, &m2, b, "no-match", &words).await, StatusCode::SEE_OTHER);
    // And back to the queue from the admin's page.
    let token = csrf(&adm.c, &s.url("/staff/claims")).await;
    let (st, _, _) = post(&adm.c, &s.url(&format!("/staff/claims/{a}")), &[("csrf", &token), ("to", "queue")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(page(&s, &m1, &format!("/staff/requests/{a}")).await.contains("Свободен"));
}

#[tokio::test]
async fn the_dashboard_shows_open_requests_the_oldest_and_what_waits_for_me() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let (first, token) = submit(&s, &request_body("Нина")).await;
    let (second, _) = submit(&s, &request_body("Лида")).await;
    let (a, b) = (request_id(&s, &m1, &first).await, request_id(&s, &m1, &second).await);
    let dash = page(&s, &m1, "/staff").await;
    assert!(dash.contains("Новый, ждёт модератора: 2 · самый старый ждёт меньше часа"), "{dash}");
    assert!(dash.contains(&format!("Дольше всех ждёт: {first}")), "the oldest, by link: {dash}");
    assert!(dash.contains(&format!("href=\"/staff/requests/{a}\"")));
    assert!(dash.contains("<svg"), "bars of the counts");

    assert_eq!(act(&s, &m1, a, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m1, a, "ask", &[("message", "Есть ли фото?")]).await, StatusCode::SEE_OTHER);
    relative_writes(&s, &first, &token, "Фото пришлю завтра").await;
    assert_eq!(act(&s, &m2, b, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m2, b, "propose", &[("record_id", "1")]).await, StatusCode::SEE_OTHER);
    let dash = page(&s, &m1, "/staff").await;
    let mine = between(&dash, "Ждёт меня", "</section>").expect("what waits for me");
    assert!(mine.contains("Мои запросы с новым ответом: 1") && mine.contains("?view=my_replies"), "{mine}");
    assert!(mine.contains("Ждут моего одобрения: 1") && mine.contains("?view=my_approval"), "{mine}");
    let listed = page(&s, &m1, "/staff/requests?view=my_replies").await;
    assert!(listed.contains(&first) && !listed.contains(&second), "{listed}");
    let dash2 = page(&s, &m2, "/staff").await;
    assert!(between(&dash2, "Ждёт меня", "</section>").is_some_and(|m| m.contains("Ждут моего одобрения: 0")));
}
