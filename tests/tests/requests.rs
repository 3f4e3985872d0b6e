//! Contact requests over HTTP: idempotent submission, every allowed and
//! refused workflow step, the four-eyes release, what the requester can
//! see at each point, notifications, and photos.

use std::time::{Duration, Instant};

use findkin_tests::relative::mail_body;
use findkin_tests::staff::{between, csrf, first_login, post, text, Staff};
use findkin_tests::{staff_registry, Server};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn body(name: &str) -> Value {
    findkin_tests::workflow::request_body(name)
}

async fn submit(s: &Server, key: Option<&str>, b: &Value) -> (StatusCode, Value) {
    let mut r = Client::new().post(s.url("/api/v1/requests")).json(b);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.expect("POST");
    let st = resp.status();
    (st, resp.json().await.unwrap_or(Value::Null))
}

async fn view(s: &Server, reference: &str, token: &str) -> Value {
    let r = Client::new()
        .get(s.url(&format!("/api/v1/requests/{reference}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    r.json().await.expect("json")
}

async fn status_html(s: &Server, reference: &str, token: &str) -> String {
    text(&Client::new(), &s.url(&format!("/status/{reference}?t={token}"))).await.1
}

/// Posts a console action on request `id` and returns the status code.
async fn act(s: &Server, who: &Staff, id: i64, action: &str, extra: &[(&str, &str)]) -> StatusCode {
    let token = csrf(&who.c, &s.url(&format!("/staff/requests/{id}"))).await;
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(extra);
    post(&who.c, &s.url(&format!("/staff/requests/{id}/{action}")), &form).await.0
}

/// The id of a request in the console queue, by reference.
async fn request_id(s: &Server, who: &Staff, reference: &str) -> i64 {
    let (_, html) = text(&who.c, &s.url("/staff/requests?state=")).await;
    let link = html.split("href=\"/staff/requests/").find(|chunk| chunk.contains(reference)).expect("request in queue");
    link.split('"').next().and_then(|n| n.parse().ok()).expect("request id")
}

/// What must never reach a requester about the S1 record, released or not.
const STAFF_ONLY: [&str; 3] = ["демо", "S1", "seed.csv"];
/// What reaches the requester only after release.
const RELEASED: [&str; 2] = ["1990-01-02", "captured"];

#[tokio::test]
async fn the_whole_workflow_with_four_eyes_and_disclosure_at_every_step() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator"), ("ed", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let ed = first_login(&s, &creds[2].0, &creds[2].1).await;

    let (st, created) = submit(&s, Some("k-1"), &body("Анна")).await;
    assert_eq!(st, StatusCode::CREATED);
    let reference = created["reference"].as_str().expect("reference").to_string();
    let token = created["token"].as_str().expect("token").to_string();
    assert!(reference.starts_with("FK-"));
    let id = request_id(&s, &m1, &reference).await;
    // The first mail carries the confirmation link; once she follows it,
    // every later notification is sent too.
    let outbox = dir.path().join("outbox");
    let started = Instant::now();
    let link = loop {
        let mails: Vec<String> = std::fs::read_dir(&outbox)
            .map(|d| d.flatten().map(|f| std::fs::read_to_string(f.path()).unwrap_or_default()).collect())
            .unwrap_or_default();
        let found = mails.iter().map(|m| mail_body(m)).find_map(|m| {
            let at = m.find("/confirm/")?;
            let token: String = m[at + 9..].chars().take_while(char::is_ascii_hexdigit).collect();
            (!token.is_empty()).then(|| format!("/confirm/{token}"))
        });
        match found {
            Some(l) => break l,
            None if started.elapsed() < Duration::from_secs(20) => tokio::time::sleep(Duration::from_millis(200)).await,
            None => panic!("no confirmation link in {}: {mails:?}", outbox.display()),
        }
    };
    let (st, page) = text(&Client::new(), &s.url(&link)).await;
    assert_eq!(st, StatusCode::OK, "{link}: {page}");

    // The requester's view: no record fields at all before release.
    let check_hidden = |v: &Value, html: &str| {
        let json = v.to_string();
        for secret in STAFF_ONLY.iter().chain(RELEASED.iter()) {
            assert!(!json.contains(secret) && !html.contains(secret), "{secret} leaked before release");
        }
    };
    check_hidden(&view(&s, &reference, &token).await, &status_html(&s, &reference, &token).await);

    // Refused: steps from the wrong state or by the wrong person.
    assert_eq!(act(&s, &m1, id, "propose", &[("record_id", "1")]).await, StatusCode::CONFLICT, "propose before claim");
    assert_eq!(act(&s, &ed, id, "claim", &[]).await, StatusCode::FORBIDDEN, "editors do not moderate");
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m2, id, "claim", &[]).await, StatusCode::CONFLICT, "one moderator at a time");
    assert_eq!(act(&s, &m2, id, "reject", &[("reason", "x")]).await, StatusCode::CONFLICT, "not the claimer");
    let (_, page) = text(&m2.c, &s.url(&format!("/staff/requests/{id}"))).await;
    assert!(page.contains("m1"), "the claim is visible to others");
    assert!(page.contains("<mark>Лаврентьев</mark>"), "what matched is highlighted: {page}");

    // Ask for information; the requester answers; the answer goes back to m1's review.
    assert_eq!(act(&s, &m1, id, "ask", &[("message", "Какой у него рост?")]).await, StatusCode::SEE_OTHER);
    let v = view(&s, &reference, &token).await;
    assert_eq!(v["state"], "needs_info");
    assert!(v.to_string().contains("Какой у него рост?"));
    assert!(!v.to_string().contains("m1"), "staff names are not shown to requesters");
    let (st, _, _) = post(
        &findkin_tests::staff::client(),
        &s.url(&format!("/status/{reference}/message")),
        &[("t", &token), ("body", "180 см")],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(view(&s, &reference, &token).await["state"], "in_review", "the answer returns to the asker");
    let (_, page) = text(&m2.c, &s.url(&format!("/staff/requests/{id}"))).await;
    assert!(page.contains("m1"), "still held by m1, who asked: {page}");
    let (st, _, _) = post(
        &findkin_tests::staff::client(),
        &s.url(&format!("/status/{reference}/message")),
        &[("t", "wrong"), ("body", "x")],
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "a wrong token opens nothing");

    // Propose (m1 still holds it: no new claim), self-approval refused,
    // approval without words to the relative refused, second moderator approves.
    assert_eq!(
        act(&s, &m1, id, "propose", &[("record_id", "1"), ("note", "дата рождения и регион совпадают")]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(view(&s, &reference, &token).await["state"], "match_proposed");
    check_hidden(&view(&s, &reference, &token).await, &status_html(&s, &reference, &token).await);
    let words = [("message", "Мы нашли его в реестре. Ниже — что о нём известно.")];
    assert_eq!(act(&s, &m1, id, "approve", &words).await, StatusCode::CONFLICT, "the proposer cannot approve");
    assert_eq!(act(&s, &ed, id, "approve", &words).await, StatusCode::FORBIDDEN);
    assert_eq!(act(&s, &m2, id, "approve", &[]).await, StatusCode::CONFLICT, "approval needs a message");
    assert_eq!(view(&s, &reference, &token).await["state"], "match_proposed");
    assert_eq!(act(&s, &m2, id, "approve", &words).await, StatusCode::SEE_OTHER);

    // Released: released fields of the matched record, never staff fields.
    let v = view(&s, &reference, &token).await;
    assert_eq!(v["state"], "released");
    let released = &v["released"];
    assert_eq!(released["surname"], "Лаврентьев");
    assert_eq!(released["birth_date"], "1990-01-02");
    assert_eq!(released["status"], "captured");
    let html = status_html(&s, &reference, &token).await;
    assert!(
        html.contains("2 января 1990 г.") && html.contains("в плену"),
        "released details on the status page, dates in words"
    );
    for secret in STAFF_ONLY {
        assert!(!v.to_string().contains(secret) && !html.contains(secret), "{secret} is a staff field");
    }
    // Closed: nothing more can happen.
    let (st, _, _) =
        post(&findkin_tests::staff::client(), &s.url(&format!("/status/{reference}/withdraw")), &[("t", &token)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(view(&s, &reference, &token).await["state"], "released", "withdraw after release refused");

    assert!(v.to_string().contains(words[0].1), "the approval's message reaches the relative");

    // The console's history names every step in words, never by its code.
    let (_, page) = text(&m1.c, &s.url(&format!("/staff/requests/{id}"))).await;
    let history = between(&page, "<table class=\"history\">", "</table>").expect("history");
    for step in [
        "отправил(а) запрос",
        "взял в работу",
        "задал вопрос родственнику",
        "ответ родственника",
        "предложил совпадение: дата рождения и регион совпадают",
        "одобрил совпадение, сведения переданы",
    ] {
        assert!(history.contains(step), "{step:?} in the history: {history}");
    }
    for code in ["claim", "ask_info", "requester_adds_info", "propose_match", "approve", "in_review", "requester<"] {
        assert!(!history.contains(code), "{code:?} is a stored code: {history}");
    }

    // Notifications: the receipt, the question and the final decision —
    // nothing while a step could still be undone (claim, proposal).
    let started = Instant::now();
    let mut mails = Vec::new();
    while started.elapsed() < Duration::from_secs(20) {
        mails = std::fs::read_dir(&outbox)
            .map(|d| d.flatten().map(|f| mail_body(&std::fs::read_to_string(f.path()).unwrap_or_default())).collect())
            .unwrap_or_default();
        if mails.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let count = std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0);
    assert_eq!(count, 3, "receipt, question, release: {mails:#?}");
    assert!(mails.iter().any(|m| m.contains("Какой у него рост?")), "the question is in the mail, in words");
    assert!(mails.iter().any(|m| m.contains(words[0].1)), "the release message is in the mail");
    for m in &mails {
        assert!(!m.contains(&token), "the secret link never goes by email");
        assert!(m.contains("/status/recover"), "each mail says how to recover a lost link");
    }
}

#[tokio::test]
async fn other_endings_reject_no_match_and_withdraw() {
    let (dir, creds) = staff_registry(&[("m3", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let m = first_login(&s, &creds[0].0, &creds[0].1).await;
    let mut refs = Vec::new();
    for name in ["А", "Б", "В"] {
        let (_, c) = submit(&s, None, &body(name)).await;
        refs.push((c["reference"].as_str().unwrap_or("").to_string(), c["token"].as_str().unwrap_or("").to_string()));
    }
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        for (r, _) in &refs {
            v.push(request_id(&s, &m, r).await);
        }
        v
    };
    assert_eq!(act(&s, &m, ids[0], "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m, ids[0], "reject", &[]).await, StatusCode::SEE_OTHER, "reason missing: back with a notice");
    assert_eq!(view(&s, &refs[0].0, &refs[0].1).await["state"], "in_review");
    assert_eq!(act(&s, &m, ids[0], "reject", &[("reason", "Запрос не о военнослужащем")]).await, StatusCode::SEE_OTHER);
    let v = view(&s, &refs[0].0, &refs[0].1).await;
    assert_eq!(v["state"], "rejected");
    assert!(v.to_string().contains("Запрос не о военнослужащем"), "the reason reaches the status page");
    assert_eq!(act(&s, &m, ids[1], "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m, ids[1], "no-match", &[]).await, StatusCode::CONFLICT, "no match needs an explanation");
    let explained = [("message", "В реестре его пока нет. Мы проверим снова, когда придут новые списки.")];
    assert_eq!(act(&s, &m, ids[1], "no-match", &explained).await, StatusCode::SEE_OTHER);
    let v = view(&s, &refs[1].0, &refs[1].1).await;
    assert!(v.to_string().contains(explained[0].1), "the explanation reaches the relative");
    assert_eq!(view(&s, &refs[1].0, &refs[1].1).await["state"], "closed_no_match");
    let (st, _, _) = post(
        &findkin_tests::staff::client(),
        &s.url(&format!("/status/{}/withdraw", refs[2].0)),
        &[("t", &refs[2].1), ("confirm", "yes")],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(view(&s, &refs[2].0, &refs[2].1).await["state"], "withdrawn");
    assert_eq!(act(&s, &m, ids[2], "claim", &[]).await, StatusCode::CONFLICT, "a withdrawn request cannot be claimed");
    // The queue shows open requests only, oldest first.
    let (_, q) = text(&m.c, &s.url("/staff/requests")).await;
    for (r, _) in &refs {
        assert!(!q.contains(r.as_str()), "closed requests leave the open queue");
    }
}

#[tokio::test]
async fn fifty_identical_posts_with_one_key_make_one_request() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let b = body("Ольга");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let url = s.url("/api/v1/requests");
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let r = Client::new().post(url).header("Idempotency-Key", "same-key").json(&b).send().await.expect("POST");
            let st = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (st, v["reference"].as_str().unwrap_or("").to_string())
        }));
    }
    let mut refs = std::collections::HashSet::new();
    let mut created = 0;
    for t in tasks {
        let (st, r) = t.await.expect("task");
        assert!(st == StatusCode::CREATED || st == StatusCode::OK, "{st}");
        created += usize::from(st == StatusCode::CREATED);
        refs.insert(r);
    }
    assert_eq!(refs.len(), 1, "one request: {refs:?}");
    assert_eq!(created, 1);
    // The same key with another body is refused.
    let (st, v) = submit(&s, Some("same-key"), &body("Другое имя")).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(v["error"]["code"], "idempotency_key_reused");
    // Bad input is refused field by field.
    let (st, v) = submit(&s, None, &json!({ "language": "ru", "consent": false })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = v["error"]["fields"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    for f in ["requester_name", "relationship", "email", "sought_name", "consent"] {
        assert!(fields.contains(&f), "{f} reported: {v}");
    }
}

/// A PNG whose header declares 100000×100000 pixels (a decompression bomb).
fn png_bomb() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    };
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn small_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).expect("jpeg");
    out.into_inner()
}

/// A JPEG with an EXIF APP1 segment carrying GPS coordinates.
fn jpeg_with_gps() -> Vec<u8> {
    let jpeg = small_jpeg();
    // TIFF header (little endian) with IFD0 holding one GPS IFD pointer.
    let mut tiff = b"II*\x00\x08\x00\x00\x00".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: GPSLatitudeRef = "N"
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\x00\x00\x00");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(b"GPS-SECRET-PLACE");
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn form_with_photo(photo: Vec<u8>, name: &str) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (k, v) in [
        ("language", "en"),
        ("requester_name", "Olga"),
        ("relationship", "sister"),
        ("telegram", "@olga_k"),
        ("sought_name", "Лаврентьев Остап"),
        ("consent", "yes"),
        ("idempotency_key", name),
    ] {
        f = f.text(k, v.to_string());
    }
    f.part("photos", reqwest::multipart::Part::bytes(photo).file_name(name.to_string()))
}

#[tokio::test]
async fn photos_are_checked_cleaned_and_private() {
    let (dir, creds) = staff_registry(&[("m4", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let c = findkin_tests::staff::client();

    let started = Instant::now();
    let r = c.post(s.url("/request")).multipart(form_with_photo(png_bomb(), "bomb.png")).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(started.elapsed() < Duration::from_secs(2), "refused quickly");
    assert!(r.text().await.unwrap_or_default().contains("40"), "says why (pixels)");

    let mut polyglot = small_jpeg();
    polyglot
        .extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00secret.txtPK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00");
    let r = c.post(s.url("/request")).multipart(form_with_photo(polyglot, "poly.jpg")).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let gps = jpeg_with_gps();
    assert!(gps.windows(4).any(|w| w == b"Exif"));
    let r = c.post(s.url("/request")).multipart(form_with_photo(gps, "gps.jpg")).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let status = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (_, html) = text(&c, &s.url(&status)).await;
    let photo = html
        .split("href=\"")
        .filter_map(|chunk| chunk.split('"').next())
        .find(|href| href.contains("/photos/") && !href.contains("thumb"))
        .map(|href| href.replace("&amp;", "&"))
        .expect("photo link");
    let r = c.get(s.url(&photo)).send().await.expect("photo");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "{photo}: {:?}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]));
    assert!(!bytes.windows(4).any(|w| w == b"Exif") && !bytes.windows(3).any(|w| w == b"GPS"), "EXIF and GPS gone");
    let img = image::load_from_memory(&bytes).expect("decodes");
    assert_eq!((img.width(), img.height()), (40, 30));

    // Without the status token, or publicly, the photo is not there.
    let without = photo.split("?t=").next().unwrap_or("").to_string();
    assert_eq!(c.get(s.url(&without)).send().await.expect("GET").status(), StatusCode::NOT_FOUND);
    let ptoken = photo.split("/photos/").nth(1).and_then(|p| p.split('?').next()).unwrap_or("").to_string();
    assert_eq!(
        c.get(s.url(&format!("/staff/photos/{ptoken}"))).send().await.expect("GET").status(),
        StatusCode::SEE_OTHER
    );
    // A moderator sees it.
    let m = first_login(&s, &creds[0].0, &creds[0].1).await;
    let r = m.c.get(s.url(&format!("/staff/photos/{ptoken}"))).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
}

/// Disabling a moderator gives back what they held: another moderator can
/// claim it and finish it, and the CLI says how many went back.
#[tokio::test]
async fn disabling_a_moderator_releases_their_claims() {
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let (_, created) = submit(&s, None, &body("Вера")).await;
    let reference = created["reference"].as_str().expect("reference").to_string();
    let id = request_id(&s, &m2, &reference).await;
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m2, id, "claim", &[]).await, StatusCode::CONFLICT, "held by m1");
    let out = findkin_tests::findkin(dir.path(), &["user", "disable", "m1"]);
    assert!(out.status.success(), "{}", findkin_tests::stderr(&out));
    assert!(findkin_tests::stdout(&out).contains("1 request(s)"), "{}", findkin_tests::stdout(&out));
    assert_eq!(act(&s, &m2, id, "claim", &[]).await, StatusCode::SEE_OTHER, "back in the queue for anyone");
    let message = [("message", "В реестре его пока нет.")];
    assert_eq!(act(&s, &m2, id, "no-match", &message).await, StatusCode::SEE_OTHER, "and it can be finished");
}
