//! Moderators hear of new work (issue 11, point 3): each sets on the
//! "Уведомления" page where digests go, and new requests, replies and new
//! candidates reach them batched — one message per window, counts and
//! console links only, never a name.

use std::path::Path;
use std::time::{Duration, Instant};

use findkin_tests::relative::{mail_body, submit};
use findkin_tests::staff::{between, csrf, first_login, post, text, Staff};
use findkin_tests::workflow::request_body;
use findkin_tests::{findkin, staff_registry, stderr, stdout, Server};
use reqwest::StatusCode;

const M1_MAIL: &str = "m1@example.org";

/// Sets the signed-in staff member's notifications on the page.
async fn choose(s: &Server, who: &Staff, channel: &str, email: &str) -> (StatusCode, String, String) {
    let token = csrf(&who.c, &s.url("/staff/notifications")).await;
    let form = [("csrf", token.as_str()), ("channel", channel), ("email", email)];
    post(&who.c, &s.url("/staff/notifications"), &form).await
}

/// The bodies of the digests the outbox wrote to `to`, oldest first.
fn digests(data_dir: &Path, to: &str) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(data_dir.join("outbox"))
        .map(|d| d.flatten().map(|f| f.path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .filter(|eml| eml.lines().any(|l| l.trim_end() == format!("To: {to}")))
        .map(|eml| mail_body(&eml))
        .collect()
}

/// Waits (at most `limit`) until `n` digests to `to` are in the outbox.
async fn wait_for_digests(data_dir: &Path, to: &str, n: usize, limit: Duration) -> Vec<String> {
    let started = Instant::now();
    loop {
        let found = digests(data_dir, to);
        if found.len() >= n {
            return found;
        }
        assert!(started.elapsed() < limit, "{n} digest(s) to {to} expected, found {found:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_settings_page_takes_a_channel_and_refuses_a_bad_address() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("ed", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;

    let (st, html) = text(&m1.c, &s.url("/staff/notifications")).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("href=\"/staff/notifications\""), "linked from the staff navigation");
    assert!(html.contains("уведомления выключены"), "off until chosen: {html}");

    // An address without a dotted domain comes back with the field named and the error beside it.
    let (st, _, html) = choose(&s, &m1, "email", "m1@mail").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let summary = between(&html, "role=\"alert\"", "</div>").expect("error summary");
    assert!(summary.contains("href=\"#email\"") && summary.contains("Адрес почты"), "{summary}");
    let field = between(&html, "<input id=\"email\"", "</div>").expect("the email field");
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    assert!(field.contains("value=\"m1@mail\""), "what was typed is kept: {field}");
    assert!(field.contains("class=\"error\"") && field.contains("с точкой"), "{field}");
    let (st, _, html) = choose(&s, &m1, "email", "").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Укажите адрес почты"), "{html}");

    let (st, loc, _) = choose(&s, &m1, "email", M1_MAIL).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/notifications?ok=staff.notice.notify_saved"));
    let (_, html) = text(&m1.c, &s.url("/staff/notifications")).await;
    assert!(html.contains(&format!("сводки приходят на почту {M1_MAIL}")), "{html}");

    // Telegram needs a linked chat first; the code to link one is shown once, never in a URL.
    let (st, loc, _) = choose(&s, &m1, "telegram", "").await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, "/staff/notifications?err=staff.notice.telegram_not_linked")
    );
    let token = csrf(&m1.c, &s.url("/staff/notifications")).await;
    let (st, _, html) = post(&m1.c, &s.url("/staff/notifications/telegram"), &[("csrf", &token)]).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let code = between(&html, "<code id=\"telegram-code\">/staff ", "</code>").expect("the code is shown");
    assert!(code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    assert!(html.contains("боту findkin"), "{html}");
    let (_, html) = text(&m1.c, &s.url("/staff/notifications")).await;
    assert!(!html.contains(code), "shown only once");

    // A stale form changes nothing.
    let (st, _, _) = post(&m1.c, &s.url("/staff/notifications"), &[("csrf", "stale"), ("channel", "none")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The operator's command line: a chat the bot knows, then off.
    let out = findkin(dir.path(), &["user", "notify", "m1", "--telegram-chat", "424242"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, html) = text(&m1.c, &s.url("/staff/notifications")).await;
    assert!(html.contains("сводки приходят в Telegram"), "{html}");
    assert!(html.contains("Отвязать Telegram"), "{html}");
    let out = findkin(dir.path(), &["user", "notify", "m1", "--email", "m1@mail"]);
    assert_eq!(out.status.code(), Some(2), "bad address refused: {}", stdout(&out));
    let out = findkin(dir.path(), &["user", "notify", "m1", "--off"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, html) = text(&m1.c, &s.url("/staff/notifications")).await;
    assert!(html.contains("уведомления выключены"), "{html}");

    // Every staff member may open the page; editors are told they get no digests.
    let ed = first_login(&s, &creds[1].0, &creds[1].1).await;
    let (st, html) = text(&ed.c, &s.url("/staff/notifications")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("для вашей роли их нет"), "{html}");
}

/// Needs the alerts raised at submission (`staff_alerts::raise`).
#[tokio::test]
async fn new_requests_reach_a_moderator_in_one_digest_per_window() {
    const WINDOW: u64 = 12;
    let (dir, creds) = staff_registry(&[("m1", "moderator")]);
    let window = WINDOW.to_string();
    let s = Server::start(
        dir.path(),
        &["--staff-digest-seconds", &window, "--submit-rate-per-hour", "0", "--public-url", "https://findkin.example"],
    );
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (st, _, _) = choose(&s, &m1, "email", M1_MAIL).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let patient = Duration::from_secs(WINDOW * 2 + 15);

    // The first news after a quiet spell goes out at once.
    submit(&s, &request_body("Первая Мать")).await;
    let first = wait_for_digests(dir.path(), M1_MAIL, 1, patient).await;
    assert!(first[0].contains("1 новый запрос"), "{}", first[0]);

    // Three requests within the window: one digest, when the window is over.
    let mut references = Vec::new();
    for name in ["Вторая Мать", "Третья Мать", "Четвёртая Мать"] {
        references.push(submit(&s, &request_body(name)).await.0);
    }
    let all = wait_for_digests(dir.path(), M1_MAIL, 2, patient).await;
    assert_eq!(all.len(), 2, "one digest for the three: {all:#?}");
    let digest = &all[1];
    assert!(digest.contains("3 новых запроса"), "{digest}");
    assert!(digest.contains("https://findkin.example/staff/requests?view=unclaimed"), "{digest}");
    assert!(digest.contains("https://findkin.example/staff/requests"), "{digest}");
    for secret in ["Лаврентьев", "Остап", "Тульская", "Мать", "mother@example.org"] {
        assert!(!digest.contains(secret), "{secret} in a digest: {digest}");
    }
    for reference in &references {
        assert!(!digest.contains(reference.as_str()), "{reference} in a digest: {digest}");
    }

    // A later request: the next digest, after the window.
    submit(&s, &request_body("Пятая Мать")).await;
    let all = wait_for_digests(dir.path(), M1_MAIL, 3, patient).await;
    assert_eq!(all.len(), 3, "{all:#?}");
    assert!(all[2].contains("1 новый запрос"), "{}", all[2]);
}
