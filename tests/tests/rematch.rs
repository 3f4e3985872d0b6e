//! Re-matching (issue 11): relatives who asked before their son was in the
//! registry hear of it once an import brings him — an open request is
//! marked for the moderators, a "no match" is reopened, a phone-only
//! relative becomes call-back work — each exactly once, and without a
//! single detail in the message.

use std::path::Path;
use std::time::{Duration, Instant};

use findkin_tests::relative::{act, confirm_link, mail_body, mails_to, request_id, submit, wait_for_mails};
use findkin_tests::staff::{first_login, text, Staff};
use findkin_tests::{findkin, staff_registry, stderr, Server};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const NEWS: &str = "есть новости";

fn body(name: &str, email: Option<&str>, phone: Option<&str>, sought: &str, birth: &str) -> Value {
    let mut b = json!({
        "language": "ru",
        "requester_name": name,
        "relationship": "мать",
        "sought_name": sought,
        "sought_birth": birth,
        "consent": true
    });
    if let Some(e) = email {
        b["email"] = json!(e);
    }
    if let Some(p) = phone {
        b["phone"] = json!(p);
    }
    b
}

/// Confirms the address of the first mail to `to`, as the relative would by clicking.
async fn confirm(s: &Server, outbox: &Path, to: &str) {
    let first = wait_for_mails(outbox, to, 1).await;
    let link =
        first.first().and_then(|m| confirm_link(&mail_body(m))).expect("the first mail asks to confirm the address");
    let r = Client::new().get(s.url(&link)).send().await.expect("GET confirm");
    assert!(r.status().is_success(), "confirmation works");
}

/// The "there is news" mails to `to`.
fn news_to(outbox: &Path, to: &str) -> Vec<String> {
    mails_to(outbox, to).iter().map(|m| mail_body(m)).filter(|b| b.contains(NEWS)).collect()
}

/// Waits (at most 60 s: index follower, re-matching, outbox) until `to` has `n` news mails.
async fn wait_for_news(outbox: &Path, to: &str, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let news = news_to(outbox, to);
        if news.len() >= n || started.elapsed() > Duration::from_secs(60) {
            return news;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn import(dir: &Path, name: &str, rows: &str) {
    let csv = dir.join(name);
    std::fs::write(
        &csv,
        format!("external_id,surname,given_name,patronymic,sex,birth_date,region,status,notes\n{rows}"),
    )
    .expect("csv");
    let out = findkin(dir, &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

async fn queue(s: &Server, who: &Staff, view: &str) -> String {
    let (st, html) = text(&who.c, &s.url(&format!("/staff/requests?view={view}"))).await;
    assert_eq!(st, StatusCode::OK);
    html
}

#[tokio::test]
async fn an_import_finds_the_relatives_who_wait_and_tells_each_once() {
    let (dir, creds) = staff_registry(&[("m1", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let outbox = dir.path().join("outbox");
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;

    let (open, _) = submit(&s, &body("Анна", Some("anna@example.org"), None, "Кравчук Остап Ильич", "1991")).await;
    let (closed, closed_token) =
        submit(&s, &body("Вера", Some("vera@example.org"), None, "Лысенко Гордей Фомич", "1987")).await;
    let (phone_only, _) =
        submit(&s, &body("Ольга", None, Some("+7 900 123-45-67"), "Тимошенко Вера Павловна", "1999")).await;
    let (control, _) = submit(&s, &body("Нина", Some("nina@example.org"), None, "Загоруйко Спиридон Лукич", "")).await;
    let (sentinel, _) = submit(&s, &body("Зоя", Some("zoya@example.org"), None, "Вакуленко Назар Петрович", "")).await;
    for to in ["anna@example.org", "vera@example.org", "nina@example.org", "zoya@example.org"] {
        confirm(&s, &outbox, to).await;
    }

    // Nobody is in the registry yet: the moderator closes one as "no match".
    let id = request_id(&s, &m1, &closed).await;
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    let words = [("message", "В реестре его пока нет. Мы проверим снова, когда придут новые списки.")];
    assert_eq!(act(&s, &m1, id, "no-match", &words).await, StatusCode::SEE_OTHER);
    let queue_before = queue(&s, &m1, "new_candidate").await;
    assert!(!queue_before.contains(&open), "nothing is new before the import");

    // The exchange list arrives, while the server runs. A near namesake of
    // the control (another given name) must not count as him.
    import(
        dir.path(),
        "exchange.csv",
        "X1,Кравчук,Остап,Ильич,m,1991-03-04,Полтавская область,captured,\n\
         X2,Лысенко,Гордей,Фомич,m,1987-11-30,Сумская область,captured,\n\
         X3,Тимошенко,Вера,Павловна,f,1999-06-01,Черниговская область,captured,\n\
         X4,Загоруйко,Степан,Лукич,m,1980,Херсонская область,captured,\n",
    );
    let anna = wait_for_news(&outbox, "anna@example.org", 1).await;
    assert_eq!(anna.len(), 1, "the open request's relative hears of it: {:#?}", mails_to(&outbox, "anna@"));
    let vera = wait_for_news(&outbox, "vera@example.org", 1).await;
    assert_eq!(vera.len(), 1, "so does the relative whose request was closed");
    for mail in anna.iter().chain(&vera) {
        for detail in ["Полтавская", "Сумская", "1991-03-04", "03.1991", "в плену", "X1", "Кравчук", "Лысенко"]
        {
            assert!(!mail.contains(detail), "no detail ({detail}) in the news: {mail}");
        }
        assert!(mail.contains("модератор"), "says a moderator is checking: {mail}");
    }

    // The moderators see who waits, and why.
    let marked = queue(&s, &m1, "new_candidate").await;
    assert!(marked.contains(&open) && marked.contains(&closed), "both marked as new candidates: {marked}");
    assert!(!marked.contains(&control), "a namesake with another given name is no candidate: {marked}");
    assert!(marked.contains("новый кандидат с"), "the mark says since when");
    let callbacks = queue(&s, &m1, "callback").await;
    assert!(callbacks.contains(&phone_only), "the phone-only relative is call-back work: {callbacks}");
    assert!(!callbacks.contains(&open), "a relative with email is not: {callbacks}");
    let (_, status) = text(&Client::new(), &s.url(&format!("/status/{closed}?t={closed_token}"))).await;
    assert!(status.contains("Запрос получен и ждёт модератора"), "the closed request is back in the queue: {status}");
    let id = request_id(&s, &m1, &open).await;
    let (_, page) = text(&m1.c, &s.url(&format!("/staff/requests/{id}"))).await;
    assert!(page.contains("новый сильный кандидат") && page.contains("X1"), "the page names the candidate: {page}");

    // A moderator acts on it: the mark goes. The call back is done: that mark goes.
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert!(!queue(&s, &m1, "new_candidate").await.contains(&open), "seen once a moderator acts");
    let phone_id = request_id(&s, &m1, &phone_only).await;
    assert_eq!(act(&s, &m1, phone_id, "called-back", &[]).await, StatusCode::SEE_OTHER);
    assert!(!queue(&s, &m1, "callback").await.contains(&phone_only), "called back");

    // The same list again, then a later one: nobody hears twice.
    import(
        dir.path(),
        "exchange-again.csv",
        "X1,Кравчук,Остап,Ильич,m,1991-03-04,Полтавская область,captured,повтор\n",
    );
    import(dir.path(), "later.csv", "X5,Вакуленко,Назар,Петрович,m,1993,Сумская область,deceased,\n");
    assert_eq!(wait_for_news(&outbox, "zoya@example.org", 1).await.len(), 1, "the later list is matched too");
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(news_to(&outbox, "anna@example.org").len(), 1, "the same candidate is never raised twice");
    assert_eq!(news_to(&outbox, "vera@example.org").len(), 1, "nor for the reopened request");
    assert!(news_to(&outbox, "nina@example.org").is_empty(), "the control heard nothing");
    assert!(!queue(&s, &m1, "callback").await.contains(&phone_only), "no second call back for the same candidate");
    let _ = sentinel;
}
