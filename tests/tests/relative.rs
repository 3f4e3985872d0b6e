//! The relative's side of a request (issue 10, points 2, 4 and 5): what she
//! reads at each step, in words and plain dates and in her request's
//! language; a release written for a person that stays as approved; replies
//! after a decision; a lost link recovered; a wrong link that helps; and a
//! withdrawal that asks first.

use findkin_tests::relative::{
    act, edit_record, release, request_body, request_id, submit, view, wait_for_status_link,
};
use findkin_tests::staff::{client, first_login, post, text};
use findkin_tests::{findkin, staff_registry, stderr, Server};
use reqwest::{Client, StatusCode};

async fn page(s: &Server, reference: &str, token: &str) -> (StatusCode, String) {
    text(&Client::new(), &s.url(&format!("/status/{reference}?t={token}"))).await
}

/// Whether `html` shows a date as a machine writes it (`2026-05-13`).
fn has_iso_date(html: &str) -> bool {
    let b = html.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    (0..b.len().saturating_sub(10)).any(|i| {
        digits(i..i + 4) && b[i + 4] == b'-' && digits(i + 5..i + 7) && b[i + 7] == b'-' && digits(i + 8..i + 10)
    })
}

/// The part of the page after `marker`, up to the end of its section.
fn section<'a>(html: &'a str, marker: &str) -> &'a str {
    let from = html.find(marker).unwrap_or_else(|| panic!("{marker} not on the page: {html}"));
    let rest = &html[from..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_rejection_and_a_no_match_are_told_in_the_moderators_words() {
    let (dir, creds) = staff_registry(&[("m1", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let m = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (rejected, rt) = submit(&s, &request_body("ru", "Анна", "anna@example.org")).await;
    let (closed, ct) = submit(&s, &request_body("ru", "Вера", "vera@example.org")).await;

    let (_, fresh) = page(&s, &rejected, &rt).await;
    assert!(fresh.contains("Запрос получен и ждёт модератора"), "the state in words: {fresh}");
    assert!(fresh.contains("Сейчас действует:"), "who acts now");

    let reason = "Запрос не о военнослужащем: мы ищем только военнопленных и погибших.";
    let id = request_id(&s, &m, &rejected).await;
    assert_eq!(act(&s, &m, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    let (_, checking) = page(&s, &rejected, &rt).await;
    assert!(checking.contains("Модератор проверяет ваш запрос"), "{checking}");
    assert_eq!(act(&s, &m, id, "reject", &[("reason", reason)]).await, StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &rejected, &rt).await;
    let word = section(&html, "class=\"panel word\"");
    assert!(word.contains("Причина отказа") && word.contains(reason), "the reason comes first, titled: {word}");
    assert!(!has_iso_date(&html), "dates in words, not ISO: {html}");
    assert!(!html.contains(" UTC</span>"), "no machine timestamps");

    let explained = "В реестре его пока нет. Мы проверим снова, когда придут новые списки.";
    let id = request_id(&s, &m, &closed).await;
    assert_eq!(act(&s, &m, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m, id, "no-match", &[("message", explained)]).await, StatusCode::SEE_OTHER);
    let (_, html) = page(&s, &closed, &ct).await;
    assert!(html.contains("Подходящей записи в реестре не нашлось"), "{html}");
    let word = section(&html, "class=\"panel word\"");
    assert!(word.contains("Объяснение модератора") && word.contains(explained), "{word}");
    assert!(html.contains(&format!("action=\"/status/{closed}/message\"")), "she can still write");
}

#[tokio::test]
async fn a_death_is_told_with_care_plain_dates_and_a_way_to_reply() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator")]);
    let extra = dir.path().join("extra.csv");
    std::fs::write(
        &extra,
        "external_id,surname,given_name,patronymic,sex,birth_date,birth_place,region,unit,rank,status,status_date,status_place,notes\n\
         S9,Кравец,Тарас,Богданович,m,1987-05-13,Полтава,Полтавская область,,,deceased,2024-03-08,Демо-пункт 4,\n",
    )
    .expect("csv");
    let out = findkin(dir.path(), &["import", extra.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let (reference, token) = submit(&s, &request_body("ru", "Галина", "galina@example.org")).await;
    let message = "Мы нашли его в реестре. Нам очень горько сообщать вам это.";
    release(&s, &m1, &m2, &reference, "4", message).await;

    let (st, html) = page(&s, &reference, &token).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Модераторы нашли запись в реестре"), "{html}");
    let known = section(&html, "class=\"panel released grief\"");
    assert!(known.contains("Примите наши искренние соболезнования"), "condolences: {known}");
    assert!(known.contains("Кравец Тарас Богданович числится среди погибших"), "{known}");
    assert!(known.contains("13 мая 1987 г.") && known.contains("8 марта 2024 г."), "plain dates: {known}");
    assert!(known.contains("Дата гибели") && known.contains("Полтава"), "{known}");
    assert!(!known.contains("<table"), "not a table row");
    assert!(!has_iso_date(&html), "no ISO date anywhere: {html}");
    let word_at = html.find(message).expect("the moderator's message");
    assert!(word_at < html.find("соболезнования").unwrap_or(0), "the moderator's message comes first");
    assert!(html.contains("Что можно сделать дальше") && html.contains("Красного Креста"), "next steps");
    assert!(html.contains(&format!("action=\"/status/{reference}/message\"")), "a way to reply");
    assert!(html.contains("модератор прочтёт ваше сообщение"), "and who reads it");
    assert!(!html.contains(&format!("action=\"/status/{reference}/withdraw\"")), "nothing to withdraw");
}

#[tokio::test]
async fn a_reply_after_release_is_kept_and_the_release_stays_as_approved() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator"), ("ed", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let ed = first_login(&s, &creds[2].0, &creds[2].1).await;
    let (reference, token) = submit(&s, &request_body("ru", "Анна", "anna@example.org")).await;
    release(&s, &m1, &m2, &reference, "1", "Мы нашли его. Ниже — что о нём известно.").await;
    let (_, before) = page(&s, &reference, &token).await;
    assert!(before.contains("находится в плену") && before.contains("2 января 1990 г."), "{before}");

    // She replies after the decision: stored, the state stays, staff see a new reply.
    let url = s.url(&format!("/status/{reference}/message"));
    let (st, loc, _) = post(&client(), &url, &[("t", &token), ("body", "Спасибо. Как передать ему письмо?")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.contains("done=message"), "{loc}");
    let v = view(&s, &reference, &token).await;
    assert_eq!(v["state"], "released");
    let last = v["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["text"], "Спасибо. Как передать ему письмо?");
    assert_eq!(last["from_moderator"], false);
    let (_, after) = page(&s, &reference, &token).await;
    assert!(after.contains("Как передать ему письмо?"), "her reply is on the page");

    // An editor later changes the record: what two moderators approved stays.
    assert_eq!(edit_record(&s, &ed, 1, "status", "deceased").await, StatusCode::SEE_OTHER);
    let (_, record) = text(&ed.c, &s.url("/staff/records/1")).await;
    assert!(record.contains("погиб"), "the record did change");
    let (_, frozen) = page(&s, &reference, &token).await;
    assert!(frozen.contains("находится в плену"), "the approved status stays: {frozen}");
    assert!(!frozen.contains("числится среди погибших") && !frozen.contains("соболезнования"));
    assert_eq!(view(&s, &reference, &token).await["released"]["status"], "captured", "the API too");
}

#[tokio::test]
async fn a_lost_link_is_sent_again_and_the_old_one_explains_itself() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let (reference, old) = submit(&s, &request_body("uk", "Оксана", "oksana@example.org")).await;
    let (phone_only, _) = {
        let mut b = request_body("ru", "Ирина", "");
        b["phone"] = "+380 50 123 45 67".into();
        submit(&s, &b).await
    };

    let (st, form) = text(&client(), &s.url(&format!("/status/recover?ref={reference}"))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(form.contains("action=\"/status/recover\"") && form.contains("name=\"contact\""), "{form}");
    assert!(form.contains(&format!("value=\"{reference}\"")), "the reference is filled in from the link");
    let recover = |r: &str, c: &str| {
        let (r, c) = (r.to_string(), c.to_string());
        let url = s.url("/status/recover");
        async move { post(&client(), &url, &[("reference", &r), ("contact", &c)]).await }
    };
    let (st, _, wrong) = recover(&reference, "someone@example.org").await;
    assert_eq!(st, StatusCode::OK);
    let (_, _, unknown) = recover("FK-ZZZZ-ZZZZ", "oksana@example.org").await;
    let (_, _, no_email) = recover(&phone_only, "+380501234567").await;
    let (st, _, right) = recover(&reference.to_lowercase(), " Oksana@Example.org ").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(wrong, right, "a wrong contact and the right one read the same");
    assert_eq!(unknown, right, "so does an unknown reference");
    assert_eq!(no_email, right, "and a request without email");
    assert!(right.contains("Если номер и контакт совпадают"), "{right}");
    assert!(right.contains("только телефон"), "says what happens without email");

    // The mail carries a new link; it opens the request, the old one no longer does.
    let link = wait_for_status_link(dir.path(), &reference).await;
    assert!(!link.contains(&old));
    let (st, html) = text(&Client::new(), &s.url(&link)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(&reference) && html.contains("lang=\"uk\""), "in her language: {html}");
    let c = Client::builder().build().expect("client");
    let r = c
        .get(s.url(&format!("/status/{reference}?t={old}")))
        .header("accept-language", "ru-RU,ru")
        .header("cookie", "lang=ru")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let gone = r.text().await.unwrap_or_default();
    assert!(gone.contains("lang=\"uk\"") && gone.contains("Це посилання не відкриває запит"), "{gone}");
    let recover_here = format!("href=\"/status/recover?ref={reference}\"");
    assert!(gone.contains(&recover_here) && gone.contains("href=\"/request\""), "ways on: {gone}");
    assert!(!gone.contains("консоль") && !gone.contains("/staff"), "never a staff page");

    // Again at once: wait, with a Retry-After.
    let r = client()
        .post(s.url("/status/recover"))
        .form(&[("reference", reference.as_str()), ("contact", "oksana@example.org")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.text().await.unwrap_or_default().contains("совсем недавно"));

    // A cross-site post is refused before anything happens.
    let r = client()
        .post(s.url("/status/recover"))
        .header("origin", "https://evil.example")
        .form(&[("reference", reference.as_str()), ("contact", "oksana@example.org")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_wrong_link_is_a_public_page_in_the_sites_language() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let (st, html) = text(&Client::new(), &s.url("/status/FK-NOPE-NOPE?t=x")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(html.contains("lang=\"ru\"") && html.contains("Эта ссылка не открывает запрос"), "{html}");
    assert!(html.contains("новую ссылку") && html.contains("href=\"/status/recover?ref=FK-NOPE-NOPE\""), "{html}");
    assert!(!html.contains("консоль"));
    let (st, en) = text(&Client::new(), &s.url("/status/FK-NOPE-NOPE?t=x&lang=en")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(en.contains("This link does not open a request"), "{en}");
}

#[tokio::test]
async fn a_ukrainian_request_opens_in_ukrainian_unless_she_picks_another() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let (reference, token) = submit(&s, &request_body("uk", "Оксана", "oksana@example.org")).await;
    let c = Client::new();
    let url = s.url(&format!("/status/{reference}?t={token}"));
    let r =
        c.get(&url).header("accept-language", "ru-RU,ru;q=0.9").header("cookie", "lang=ru").send().await.expect("GET");
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("<html lang=\"uk\"") && html.contains("Запит отримано"), "{html}");
    let (_, en) = text(&c, &format!("{url}&lang=en")).await;
    assert!(en.contains("<html lang=\"en\"") && en.contains("waiting for a moderator"), "her pick wins: {en}");
    // The pick stays through a form post and back.
    let (st, loc, _) = post(
        &client(),
        &s.url(&format!("/status/{reference}/message")),
        &[("t", &token), ("body", "Hello"), ("lang", "en")],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.contains("lang=en"), "{loc}");
}

#[tokio::test]
async fn withdrawing_asks_first() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let (reference, token) = submit(&s, &request_body("ru", "Анна", "anna@example.org")).await;
    let url = s.url(&format!("/status/{reference}/withdraw"));
    let (st, _, confirm) = post(&client(), &url, &[("t", &token)]).await;
    assert_eq!(st, StatusCode::OK, "a question, not a withdrawal");
    assert!(confirm.contains("Вы уверены?") && confirm.contains("Да, отозвать") && confirm.contains("Нет, вернуться"));
    assert!(confirm.contains("name=\"confirm\" value=\"yes\""), "{confirm}");
    assert!(confirm.contains(&format!("href=\"/status/{reference}?t={token}\"")), "the way back: {confirm}");
    assert_eq!(view(&s, &reference, &token).await["state"], "submitted", "nothing happened yet");
    let (st, loc, _) = post(&client(), &url, &[("t", &token), ("confirm", "yes")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(loc.contains("done=withdrawn"));
    assert_eq!(view(&s, &reference, &token).await["state"], "withdrawn");
    let (_, html) = page(&s, &reference, &token).await;
    assert!(html.contains("Вы отозвали запрос"), "{html}");
    assert!(
        !html.contains(&format!("action=\"/status/{reference}/message\"")),
        "a withdrawn request takes no messages"
    );
}
