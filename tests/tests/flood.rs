//! Submissions are bounded (issue 9, point 2): per-client and global
//! budgets on requests, messages and photos; a photo storage budget; at
//! most one notification a day to an address that never confirmed; and a
//! moderation queue that pages from the oldest request, so a flood cannot
//! hide anything. Each test runs the real binary on loopback; clients bind
//! to different loopback addresses to be different clients.

use std::time::{Duration, Instant};

use findkin_tests::relative::{confirm_link, mails_to, wait_for_mails};
use findkin_tests::staff::{client_from, first_login, post, text};
use findkin_tests::{staff_registry, Server};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn body(name: &str, email: &str) -> Value {
    json!({
        "language": "en",
        "requester_name": name,
        "relationship": "mother",
        "email": email,
        "sought_name": "Лаврентьев Остап Ильич",
        "consent": true
    })
}

/// Without an email address: nothing goes to the outbox.
fn quiet_body(name: &str) -> Value {
    json!({
        "language": "ru",
        "requester_name": name,
        "relationship": "мать",
        "telegram": "@anna_k",
        "sought_name": "Лаврентьев Остап Ильич",
        "consent": true
    })
}

/// Status, `Retry-After` and JSON body of one API submission.
async fn submit(c: &Client, s: &Server, key: Option<&str>, b: &Value) -> (StatusCode, Option<u64>, Value) {
    let mut r = c.post(s.url("/api/v1/requests")).json(b);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.expect("POST");
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (resp.status(), retry, resp.json().await.unwrap_or(Value::Null))
}

fn form(name: &str) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (k, v) in [
        ("language", "ru"),
        ("requester_name", name),
        ("relationship", "мать"),
        ("telegram", "@anna_k"),
        ("sought_name", "Лаврентьев Остап"),
        ("consent", "yes"),
    ] {
        f = f.text(k, v.to_string());
    }
    f
}

fn jpeg(width: u32, height: u32, noise: bool) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        if noise {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        } else {
            image::Rgb([(x % 250) as u8, (y % 250) as u8, 90])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).expect("jpeg");
    out.into_inner()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_flood_from_one_address_is_refused_after_its_burst_while_others_get_through() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let flooder = client_from("127.0.0.2");

    // The attack of issue 9: 300 submissions as fast as they go.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let (c, url, b) = (flooder.clone(), s.url("/api/v1/requests"), quiet_body(&format!("Flood {i}")));
        tasks.push(tokio::spawn(async move {
            let r = c.post(url).json(&b).send().await.expect("POST");
            let retry = retry_after(&r);
            (r.status(), retry, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let (mut created, mut limited) = (0, 0);
    for t in tasks {
        let (st, retry, v) = t.await.expect("task");
        match st {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert!(retry >= 1, "Retry-After on every refusal");
                assert_eq!(v["error"]["code"], "rate_limited", "{v}");
            }
            other => panic!("unexpected {other}: {v}"),
        }
    }
    eprintln!("flood: {created} of 300 API submissions stored, {limited} refused, in {:?}", started.elapsed());
    assert_eq!(created, 5, "the default burst: half of 10 an hour");
    assert_eq!(limited, 295);

    // The form door shares the budget and says why, in Russian.
    let r = flooder.post(s.url("/request")).multipart(form("Анна")).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&r) > 60, "the next submission is minutes away");
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("Слишком много запросов с вашего адреса"), "{page}");
    assert!(page.contains("value=\"Анна\""), "what was typed is kept");

    // Another address still gets through, by either door.
    let other = client_from("127.0.0.3");
    let (st, _, created) = submit(&other, &s, Some("k-other"), &quiet_body("Ольга")).await;
    assert_eq!(st, StatusCode::CREATED);
    let r = other.post(s.url("/request")).multipart(form("Ольга")).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A retry of a stored submission is not charged, even with the budget spent.
    for _ in 0..6 {
        let (st, _, again) = submit(&other, &s, Some("k-other"), &quiet_body("Ольга")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(again["reference"], created["reference"]);
    }

    // Messages on the status page: a burst of 10, then 429 in Russian.
    let (reference, token) = (created["reference"].as_str().unwrap_or(""), created["token"].as_str().unwrap_or(""));
    let url = s.url(&format!("/status/{reference}/message"));
    let mut sent = 0;
    for i in 0..12 {
        let (st, _, page) = post(&other, &url, &[("t", token), ("body", &format!("Сообщение {i}"))]).await;
        if st == StatusCode::SEE_OTHER {
            sent += 1;
        } else {
            assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
            assert!(page.contains("Слишком много сообщений"), "{page}");
        }
    }
    assert_eq!(sent, 10, "half of 30 an hour, at most 10");
    let (st, _, _) = post(&client_from("127.0.0.4"), &url, &[("t", token), ("body", "С другого адреса")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "another client still writes");

    // Photos: charged before decoding, a burst of 10 per client.
    let purl = s.url(&format!("/status/{reference}/photo"));
    let mut codes = Vec::new();
    for _ in 0..12 {
        let f = reqwest::multipart::Form::new()
            .text("t", token.to_string())
            .part("photo", reqwest::multipart::Part::bytes(jpeg(40, 30, false)).file_name("p.jpg".to_string()));
        codes.push(other.post(&purl).multipart(f).send().await.expect("POST").status().as_u16());
    }
    let added = codes.iter().filter(|c| **c == 303).count();
    let limited = codes.iter().filter(|c| **c == 429).count();
    assert_eq!((added, limited), (3, 2), "3 stored (the most per request), 7 refused as too many, then 429: {codes:?}");
}

#[tokio::test]
async fn the_global_cap_holds_across_many_addresses() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(
        dir.path(),
        &["--submit-rate-per-hour", "1000", "--submit-global-per-minute", "10", "--photo-storage-mib", "1"],
    );
    let started = Instant::now();
    let mut created = 0u32;
    for i in 10..50 {
        let c = client_from(&format!("127.0.0.{i}"));
        let (st, retry, v) = submit(&c, &s, None, &quiet_body(&format!("Адрес {i}"))).await;
        match st {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(retry.is_some_and(|r| r >= 1));
                assert_eq!(v["error"]["code"], "rate_limited");
            }
            other => panic!("unexpected {other}: {v}"),
        }
    }
    let took = started.elapsed();
    eprintln!("global cap: {created} of 40 submissions from 40 addresses stored in {took:?}");
    // One more token arrives every 6 s.
    assert!(created >= 10 && u128::from(created) <= 10 + took.as_millis() / 6000, "{created} in {took:?}");

    // The photo storage budget (1 MiB here): a large photo is refused with a
    // clear message, and the same request without it still goes through.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let c = client_from("127.0.0.60");
    let big = reqwest::multipart::Part::bytes(jpeg(1600, 1200, true)).file_name("big.jpg".to_string());
    let r = c.post(s.url("/request")).multipart(form("Вера").part("photos", big)).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("Место для фотографий сейчас закончилось"), "{page}");
    tokio::time::sleep(Duration::from_secs(7)).await;
    let small = reqwest::multipart::Part::bytes(jpeg(40, 30, false)).file_name("small.jpg".to_string());
    let r = c.post(s.url("/request")).multipart(form("Вера").part("photos", small)).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a small photo still fits");
    tokio::time::sleep(Duration::from_secs(7)).await;
    let r = c.post(s.url("/request")).multipart(form("Вера")).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "text requests still go through");
}

#[tokio::test]
async fn an_unconfirmed_address_gets_one_notification_a_day_until_it_confirms() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let outbox = dir.path().join("outbox");
    let c = client_from("127.0.0.2");

    let (st, _, _) = submit(&c, &s, None, &body("Anna", "anna@example.org")).await;
    assert_eq!(st, StatusCode::CREATED);
    let first = wait_for_mails(&outbox, "anna@example.org", 1).await;
    assert_eq!(first.len(), 1);
    let link = confirm_link(&first[0]).expect("the first notification carries the confirmation link");

    // A second request naming the same address: no mail. The same check on
    // a third address, submitted after it, does find its mail — and the
    // outbox is sent in order, so anna's would have been written first.
    let (st, _, _) = submit(&c, &s, None, &body("Anna", "ANNA@example.org ")).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _, _) = submit(&c, &s, None, &body("Boris", "boris@example.org")).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(wait_for_mails(&outbox, "boris@example.org", 1).await.len(), 1, "the check sees a mail that is there");
    let anna = |mails: Vec<String>| mails.len() + mails_to(&outbox, "ANNA@example.org").len();
    assert_eq!(anna(mails_to(&outbox, "anna@example.org")), 1, "one a day until confirmed");

    // A wrong link confirms nothing; the right one confirms the address.
    let (st, _) = text(&c, &s.url("/confirm/0123abcd")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, page) = text(&c, &s.url(&link)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("Адрес подтверждён"), "{page}");

    // From now on every notification goes, without a confirmation link.
    let (st, _, _) = submit(&c, &s, None, &body("Anna", "anna@example.org")).await;
    assert_eq!(st, StatusCode::CREATED);
    let mails = wait_for_mails(&outbox, "anna@example.org", 2).await;
    assert_eq!(anna(mails.clone()), 2, "the next one is sent after confirmation");
    assert!(confirm_link(&mails[1]).is_none(), "a confirmed address gets no more links");
}

#[tokio::test]
async fn the_queue_pages_from_the_oldest_request() {
    let (dir, creds) = staff_registry(&[("m1", "moderator")]);
    let s = Server::start(dir.path(), &["--submit-rate-per-hour", "0", "--submit-global-per-minute", "0"]);
    let c = Client::new();
    let mut refs = Vec::new();
    for i in 0..55 {
        let (st, _, v) = submit(&c, &s, None, &quiet_body(&format!("Заявитель {i}"))).await;
        assert_eq!(st, StatusCode::CREATED, "limits off: {v}");
        refs.push(v["reference"].as_str().unwrap_or("").to_string());
    }
    let m = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (st, page1) = text(&m.c, &s.url("/staff/requests")).await;
    assert_eq!(st, StatusCode::OK);
    let (_, page2) = text(&m.c, &s.url("/staff/requests?state=&language=&min_age=&page=2")).await;
    assert!(page1.contains(&refs[0]) && page1.contains(&refs[49]), "page 1: the 50 oldest");
    assert!(page2.contains(&refs[50]), "the newest are on page 2");
    assert!(!page1.contains(&refs[50]), "… and not on page 1");
    assert!(!page2.contains(&refs[0]), "page 2 does not repeat page 1");
    assert!(page1.contains("55") && page1.contains("rel=\"next\""), "total and a link to page 2");
    assert!(page1.contains("page=2") && !page1.contains("rel=\"prev\""));
    assert!(page2.contains("rel=\"prev\"") && !page2.contains("rel=\"next\""));
    let first = page1.find(&refs[0]).unwrap_or(usize::MAX);
    let later = page1.find(&refs[1]).unwrap_or(0);
    assert!(first < later, "oldest first");
}
