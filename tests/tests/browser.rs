//! The public search in real Chromium (headless, over WebDriver), once with
//! JavaScript enabled and once disabled (as in Tor Browser "Safest").

use std::time::{Duration, Instant};

use fantoccini::Locator;
use findkin_tests::browser::Browser;
use findkin_tests::{dev_registry, unique_people, Person, Server};
use serde_json::{json, Value};

fn full_name(p: &Person) -> String {
    format!("{} {} {}", p.surname, p.given_name, p.patronymic)
}

/// The console watch is not blind: an error written by a script, an
/// uncaught exception and a failed load all reach it.
#[tokio::test]
async fn console_watch_sees_errors_exceptions_and_failed_loads() {
    let server = Server::start(dev_registry(), &[]);
    let b = Browser::start(true).await;
    b.open(&server.url("/")).await;
    b.c()
        .execute(
            "console.error('probe-console-error');\n\
             setTimeout(() => { throw new Error('probe-uncaught'); }, 0);\n\
             const img = document.createElement('img'); img.src = '/probe-missing.png'; document.body.append(img);",
            vec![],
        )
        .await
        .expect("script");
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(10) {
        seen.extend(b.console_errors().await);
        let all = seen.join("\n");
        if ["probe-console-error", "probe-uncaught", "probe-missing.png"].iter().all(|p| all.contains(p)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all = seen.join("\n");
    for probe in ["probe-console-error", "probe-uncaught", "probe-missing.png"] {
        assert!(all.contains(probe), "{probe} not reported; saw {seen:#?}");
    }
    b.close().await;
}

/// With JavaScript on, the public pages come alive with an empty console;
/// the request form is deliberately script-free (strict CSP) and loads
/// without a single error too.
#[tokio::test]
async fn public_pages_hydrate_with_an_empty_console() {
    let server = Server::start(dev_registry(), &[]);
    let p = &unique_people(4)[3];
    let b = Browser::start(true).await;
    for path in ["/", "/search", &format!("/search?q={}", p.surname), "/?lang=uk", "/search?lang=en"] {
        b.open(&server.url(path)).await;
        assert!(b.hydrated().await, "{path}");
    }
    b.c().goto(&server.url("/request")).await.expect("request form");
    b.c().find(Locator::Id("sought_name")).await.expect("the form is there");
    let scripts = b.c().find_all(Locator::Css("script")).await.expect("scripts");
    assert!(scripts.is_empty(), "the request form carries no script");
    b.assert_console_clean("/request").await;
    b.close().await;
}

#[tokio::test]
async fn search_from_home_page_with_javascript() {
    let server = Server::start(dev_registry(), &[]);
    let people = unique_people(40);
    let first = &people[0];
    let b = Browser::start(true).await;
    b.open(&server.url("/")).await;
    let q = b.c().find(Locator::Id("q")).await.expect("search box");
    q.send_keys(&format!("{} {}", first.surname, first.given_name)).await.expect("type");
    b.c().find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("click");
    let names = b.wait_for_hit(&full_name(first)).await;
    assert!(names.contains(&full_name(first)), "{names:?}");
    let url = b.c().current_url().await.expect("url");
    assert_eq!(url.path(), "/search");
    b.wait_hydrated("/search").await;

    // The marker check can fail: a real page load clears it.
    b.c().execute("window.__stay = 42;", vec![]).await.expect("marker");
    b.c().refresh().await.expect("reload");
    b.wait_hydrated("/search after reload").await;
    let stay = b.c().execute("return window.__stay ?? null;", vec![]).await.expect("marker");
    assert_eq!(stay, Value::Null, "a reload clears the marker");

    // Results follow the typing without a page load. The person looked for
    // now is named nowhere on the page before the typing.
    let before = b.body_text().await;
    let second = people[1..]
        .iter()
        .find(|p| !before.contains(&p.surname) && !before.contains(&p.given_name))
        .expect("someone not on the page");
    b.c().execute("window.__stay = 42;", vec![]).await.expect("marker");
    let q = b.c().find(Locator::Id("q")).await.expect("search box");
    q.clear().await.expect("clear");
    q.send_keys(&full_name(second)).await.expect("type");
    let names = b.wait_for_hit(&full_name(second)).await;
    assert!(names.contains(&full_name(second)), "live results for {}: {names:?}", full_name(second));
    let stay = b.c().execute("return window.__stay ?? null;", vec![]).await.expect("marker");
    assert_eq!(stay, json!(42), "the page was reloaded instead of updated");
    b.close().await;
}

#[tokio::test]
async fn search_from_home_page_without_javascript() {
    let server = Server::start(dev_registry(), &[]);
    let p = &unique_people(3)[2];
    let b = Browser::start(false).await;
    b.open(&server.url("/")).await;
    assert!(!b.hydrated().await, "without JavaScript nothing hydrates: the marker is the browser's, not the server's");
    let q = b.c().find(Locator::Id("q")).await.expect("search box");
    q.send_keys(&format!("{} {} {}", p.patronymic, p.given_name, p.surname)).await.expect("type");
    b.c().find(Locator::Id("birth_year")).await.expect("year box");
    b.c().find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("submit");
    let names = b.wait_for_hit(&full_name(p)).await;
    assert!(names.contains(&full_name(p)), "{names:?}");
    let body = b.body_text().await;
    assert!(body.to_lowercase().contains("возможное совпадение"), "{body}");

    // Switch to English: a plain link, the same results.
    b.c().find(Locator::LinkText("English")).await.expect("English link").click().await.expect("click");
    let body = b.body_text().await;
    assert!(body.to_lowercase().contains("possible match"), "{body}");
    assert!(b.hit_names().await.contains(&full_name(p)));
    b.close().await;
}

#[tokio::test]
async fn staff_signs_in_with_totp_edits_a_record_and_sees_the_history() {
    use findkin_tests::{staff_registry, totp_code, unix_now};
    let (dir, creds) = staff_registry(&[("browser-ed", "editor")]);
    let server = Server::start(dir.path(), &[]);
    let b = Browser::start(false).await;
    let c = b.c();
    c.goto(&server.url("/staff/login")).await.expect("login page");
    c.find(Locator::Id("name")).await.expect("name").send_keys(&creds[0].0).await.expect("type");
    c.find(Locator::Id("password")).await.expect("password").send_keys(&creds[0].1).await.expect("type");
    c.find(Locator::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
    // First sign-in: a new password, then the authenticator.
    let new_password = "a-long-new-password-42";
    c.wait()
        .for_element(Locator::Id("new_password"))
        .await
        .expect("password form")
        .send_keys(new_password)
        .await
        .expect("type");
    c.find(Locator::Id("repeat")).await.expect("repeat").send_keys(new_password).await.expect("type");
    c.find(Locator::Id("current_password")).await.expect("one-time").send_keys(&creds[0].1).await.expect("type");
    c.find(Locator::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
    let secret = c.wait().for_element(Locator::Id("totp-secret")).await.expect("secret").text().await.expect("text");
    assert!(c.find(Locator::Css(".qr svg")).await.is_ok(), "QR code shown");
    c.find(Locator::Id("code")).await.expect("code").send_keys(&totp_code(&secret, unix_now())).await.expect("type");
    c.find(Locator::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
    c.wait().for_element(Locator::Css(".staff-nav")).await.expect("signed in");

    c.goto(&server.url("/staff/records/1/edit")).await.expect("edit form");
    let given = c.wait().for_element(Locator::Id("given_name")).await.expect("given name field");
    given.clear().await.expect("clear");
    given.send_keys("Остап-Мария").await.expect("type");
    c.find(Locator::Css(".record-form button[type=submit]")).await.expect("save").click().await.expect("click");
    let history = c.wait().for_element(Locator::Css("table.history")).await.expect("history table");
    let text = history.text().await.expect("history text");
    assert!(text.contains("browser-ed") && text.contains("Остап-Мария") && text.contains("Остап"), "{text}");
    let notice = c.find(Locator::Css(".notice.ok")).await.expect("saved notice").text().await.expect("text");
    assert!(notice.contains("сохранены"), "{notice}");
    b.close().await;
}

/// The relative's whole path in the browser; the moderators' part over HTTP.
async fn relative_finds_requests_and_reads_the_released_details(javascript: bool) {
    use findkin_tests::staff::{csrf, first_login, post, text};
    use findkin_tests::staff_registry;
    let (dir, creds) = staff_registry(&[("m-a", "moderator"), ("m-b", "moderator")]);
    let server = Server::start(dir.path(), &[]);
    let photo = dir.path().join("photo.png");
    image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 4, 120])).save(&photo).expect("png");

    let b = Browser::start(javascript).await;
    let c = b.c();
    b.open(&server.url("/")).await;
    c.find(Locator::Id("q")).await.expect("box").send_keys("Лаврентьев Остап").await.expect("type");
    c.find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("search");
    let names = b.wait_for_hit("Лаврентьев Остап Ильич").await;
    assert!(names.iter().any(|n| n == "Лаврентьев Остап Ильич"), "{names:?}");
    c.wait().for_element(Locator::Css("a.request-link")).await.expect("request link").click().await.expect("open form");
    let name = c.wait().for_element(Locator::Id("sought_name")).await.expect("form");
    assert_eq!(
        name.prop("value").await.ok().flatten().as_deref(),
        Some("Лаврентьев Остап Ильич"),
        "prefilled from the hit"
    );
    let form_text = b.body_text().await;
    c.find(Locator::Id("requester_name")).await.expect("f").send_keys("Мария").await.expect("type");
    c.find(Locator::Id("relationship")).await.expect("f").send_keys("мать").await.expect("type");
    c.find(Locator::Id("email")).await.expect("f").send_keys("maria@example.org").await.expect("type");
    c.find(Locator::Id("photos")).await.expect("file").send_keys(&photo.display().to_string()).await.expect("attach");
    c.find(Locator::Id("consent")).await.expect("consent").click().await.expect("tick");
    c.find(Locator::Css(".request-form button[type=submit]")).await.expect("submit").click().await.expect("send");
    let link =
        c.wait().for_element(Locator::Css("code.secret-link")).await.expect("secret link").text().await.expect("text");
    assert!(link.contains("/status/FK-") && link.contains("?t="), "{link}");
    assert!(c.find(Locator::Css(".photos img")).await.is_ok(), "the photo is on the status page");
    let reference = link.split("/status/").nth(1).and_then(|r| r.split('?').next()).unwrap_or("").to_string();

    // Two moderators: one proposes the match, the other approves.
    let m1 = first_login(&server, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&server, &creds[1].0, &creds[1].1).await;
    let (_, queue) = text(&m1.c, &server.url("/staff/requests")).await;
    let id: i64 = queue
        .split("href=\"/staff/requests/")
        .find(|chunk| chunk.contains(&reference))
        .and_then(|chunk| chunk.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("request in the queue");
    let (_, page) = text(&m1.c, &server.url(&format!("/staff/requests/{id}"))).await;
    assert!(page.contains("/staff/photos/"), "moderators see the photo");
    // The absence checks below can fail: staff do see the record's id and its notes.
    let (_, record) = text(&m1.c, &server.url("/staff/records/1")).await;
    assert!(record.contains("S1") && record.contains("демо"), "staff see the id and the notes");
    assert!(!form_text.contains("S1"), "no record id in the relative's form: {form_text}");
    for (who, action, extra) in [
        (&m1, "claim", vec![]),
        (&m1, "propose", vec![("record_id", "1")]),
        (&m2, "approve", vec![("message", "Мы нашли его.")]),
    ] {
        let token = csrf(&who.c, &server.url(&format!("/staff/requests/{id}"))).await;
        let mut form = vec![("csrf", token.as_str())];
        form.extend(extra);
        let (st, _, _) = post(&who.c, &server.url(&format!("/staff/requests/{id}/{action}")), &form).await;
        assert_eq!(st.as_u16(), 303, "{action}");
    }

    c.goto(&link).await.expect("status page");
    let released = c.wait().for_element(Locator::Css("section.released")).await.expect("released details");
    let text = released.text().await.expect("text");
    assert!(text.contains("2 января 1990 г.") && text.contains("в плену"), "{text}");
    assert!(!text.contains("демо"), "staff notes never reach the relative");
    b.close().await;
}

#[tokio::test]
async fn request_flow_with_javascript() {
    relative_finds_requests_and_reads_the_released_details(true).await;
}

#[tokio::test]
async fn request_flow_without_javascript() {
    relative_finds_requests_and_reads_the_released_details(false).await;
}
