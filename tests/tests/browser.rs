//! The public search in real Chromium (headless, over WebDriver), once with
//! JavaScript enabled and once disabled (as in Tor Browser "Safest").

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use findkin_tests::{dev_registry, free_port, unique_people, Server};
use serde_json::json;

struct Browser {
    driver: Child,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start(javascript: bool) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (make setup-test installs it)");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--no-first-run".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=390,844".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args }
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("cannot start Chromium through chromedriver: {e}"),
            }
        };
        Browser { driver, client: Some(client), _profile: profile }
    }

    fn c(&self) -> &Client {
        self.client.as_ref().expect("client")
    }

    async fn hit_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.c().find_all(Locator::Css(".hit-name")).await.unwrap_or_default() {
            out.push(el.text().await.unwrap_or_default());
        }
        out
    }

    /// Waits (bounded) until some hit's name contains `needle`.
    async fn wait_for_hit(&self, needle: &str) -> Vec<String> {
        let started = Instant::now();
        loop {
            let names = self.hit_names().await;
            if names.iter().any(|n| n.contains(needle)) || started.elapsed() > Duration::from_secs(20) {
                return names;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn search_from_home_page_with_javascript() {
    let server = Server::start(dev_registry(), &[]);
    let people = unique_people(2);
    let b = Browser::start(true).await;
    b.c().goto(&server.url("/")).await.expect("home page");
    let q = b.c().wait().for_element(Locator::Id("q")).await.expect("search box");
    q.send_keys(&format!("{} {}", people[0].surname, people[0].given_name)).await.expect("type");
    b.c().find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("click");
    let names = b.wait_for_hit(&people[0].surname).await;
    assert!(names.iter().any(|n| n.contains(&people[0].given_name)), "{names:?}");
    let url = b.c().current_url().await.expect("url");
    assert_eq!(url.path(), "/search");

    // Results follow the typing without a page load: a marker set on the
    // page survives while the results change.
    b.c().execute("window.__stay = 42;", vec![]).await.expect("marker");
    let q = b.c().find(Locator::Id("q")).await.expect("search box");
    q.clear().await.expect("clear");
    q.send_keys(&format!("{} {} {}", people[1].surname, people[1].given_name, people[1].patronymic))
        .await
        .expect("type");
    let names = b.wait_for_hit(&people[1].surname).await;
    assert!(names.iter().any(|n| n.contains(&people[1].surname)), "live results: {names:?}");
    let stay = b.c().execute("return window.__stay;", vec![]).await.expect("marker");
    assert_eq!(stay, json!(42), "the page was reloaded instead of updated");
    b.close().await;
}

#[tokio::test]
async fn search_from_home_page_without_javascript() {
    let server = Server::start(dev_registry(), &[]);
    let p = &unique_people(3)[2];
    let b = Browser::start(false).await;
    b.c().goto(&server.url("/")).await.expect("home page");
    let q = b.c().find(Locator::Id("q")).await.expect("search box");
    q.send_keys(&format!("{} {} {}", p.patronymic, p.given_name, p.surname)).await.expect("type");
    b.c().find(Locator::Id("birth_year")).await.expect("year box");
    b.c().find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("submit");
    let names = b.wait_for_hit(&p.surname).await;
    assert!(names.iter().any(|n| n.contains(&p.given_name) && n.contains(&p.patronymic)), "{names:?}");
    let body = b.c().find(Locator::Css("body")).await.expect("body").text().await.expect("text");
    assert!(body.to_lowercase().contains("возможное совпадение"), "{body}");

    // Switch to English: a plain link, the same results.
    b.c().find(Locator::LinkText("English")).await.expect("English link").click().await.expect("click");
    let body = b.c().find(Locator::Css("body")).await.expect("body").text().await.expect("text");
    assert!(body.to_lowercase().contains("possible match"), "{body}");
    assert!(b.hit_names().await.iter().any(|n| n.contains(&p.surname)));
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
    c.goto(&server.url("/")).await.expect("home");
    c.find(Locator::Id("q")).await.expect("box").send_keys("Лаврентьев Остап").await.expect("type");
    c.find(Locator::Css("button[type=submit]")).await.expect("button").click().await.expect("search");
    b.wait_for_hit("Лаврентьев").await;
    c.wait().for_element(Locator::Css("a.request-link")).await.expect("request link").click().await.expect("open form");
    let name = c.wait().for_element(Locator::Id("sought_name")).await.expect("form");
    assert_eq!(
        name.prop("value").await.ok().flatten().as_deref(),
        Some("Лаврентьев Остап Ильич"),
        "prefilled from the hit"
    );
    let body = c.find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default();
    assert!(!body.contains("S1"), "no record id in the form");
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
    for (who, action, extra) in
        [(&m1, "claim", vec![]), (&m1, "propose", vec![("record_id", "1")]), (&m2, "approve", vec![])]
    {
        let token = csrf(&who.c, &server.url(&format!("/staff/requests/{id}"))).await;
        let mut form = vec![("csrf", token.as_str())];
        form.extend(extra);
        let (st, _, _) = post(&who.c, &server.url(&format!("/staff/requests/{id}/{action}")), &form).await;
        assert_eq!(st.as_u16(), 303, "{action}");
    }

    c.goto(&link).await.expect("status page");
    let released = c.wait().for_element(Locator::Css("section.released")).await.expect("released details");
    let text = released.text().await.expect("text");
    assert!(text.contains("1990-01-02") && text.contains("в плену"), "{text}");
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
