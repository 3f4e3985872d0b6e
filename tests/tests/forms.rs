//! Forms forgive (issue 10): the request form takes dates as people write
//! them, refuses an address no answer could reach, keeps uploaded photos
//! when another field needs fixing, keeps what was typed when the language
//! changes; the home page and every search answer lead to the form. All
//! over real HTTP, reading the pages a relative reads.

use findkin_tests::staff::{between, client, first_login, text, Staff};
use findkin_tests::{dev_registry, staff_registry, unique_people, Server};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

/// A filled-in request form, as a relative would send it.
const GOOD: [(&str, &str); 7] = [
    ("language", "ru"),
    ("requester_name", "Ольга"),
    ("relationship", "сестра"),
    ("email", "olga@mail.ru"),
    ("sought_name", "Лаврентьев Остап"),
    ("sought_birth", "1990"),
    ("consent", "yes"),
];

/// [`GOOD`] with some fields changed or added (an empty value leaves one
/// out), then `extra` fields.
fn fields<'a>(changed: &[(&'a str, &'a str)], extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> =
        GOOD.iter().filter(|(k, _)| !changed.iter().any(|(c, _)| c == k)).copied().collect();
    out.extend(changed.iter().filter(|(_, v)| !v.is_empty()));
    out.extend_from_slice(extra);
    out
}

/// A query-string value as the pages encode it.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn multipart(fields: &[(&str, &str)], photos: &[(&str, Vec<u8>)]) -> Form {
    let mut f = Form::new();
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in photos {
        f = f.part("photos", Part::bytes(bytes.clone()).file_name(name.to_string()));
    }
    f
}

/// Posts the form; (status, Location, page).
async fn send(c: &Client, url: &str, form: Form) -> (StatusCode, String, String) {
    let r = c.post(url).multipart(form).send().await.expect("POST /request");
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (r.status(), loc, r.text().await.unwrap_or_default())
}

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 32, |x, y| image::Rgb([(x * 5) as u8 ^ seed, (y * 7) as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

/// Every value of a hidden (or any) input named `name`, in page order.
fn input_values(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(marker.as_str()).skip(1).filter_map(|chunk| chunk.split('"').next()).map(str::to_string).collect()
}

fn key_of(html: &str) -> String {
    input_values(html, "idempotency_key").into_iter().next().expect("idempotency key in the form")
}

/// The photos shown on a status page (thumbnail links).
async fn status_photos(c: &Client, s: &Server, location: &str) -> usize {
    let (st, html) = text(c, &s.url(location)).await;
    assert_eq!(st, StatusCode::OK, "{location}");
    html.matches("thumb=1").count()
}

/// What the console shows of the request behind a status link.
async fn console_page(s: &Server, m: &Staff, location: &str) -> String {
    let reference = location.trim_start_matches("/status/").split('?').next().unwrap_or_default().to_string();
    let (_, queue) = text(&m.c, &s.url("/staff/requests?state=")).await;
    let id: String = queue
        .split("href=\"/staff/requests/")
        .find(|chunk| chunk.contains(&reference))
        .and_then(|chunk| chunk.split('"').next())
        .expect("request in the queue")
        .to_string();
    text(&m.c, &s.url(&format!("/staff/requests/{id}"))).await.1
}

#[tokio::test]
async fn birth_dates_are_taken_as_people_write_them_and_stored_as_iso() {
    let (dir, creds) = staff_registry(&[("mod", "moderator")]);
    let s = Server::start(dir.path(), &["--submit-rate-per-hour", "0"]);
    let m = first_login(&s, &creds[0].0, &creds[0].1).await;
    let c = client();
    for (written, stored) in [
        ("13.05.1987", "1987-05-13"),
        ("13/05/1987", "1987-05-13"),
        ("05.1987", "1987-05"),
        ("5.1987", "1987-05"),
        ("1987", "1987"),
        ("1987-05-13", "1987-05-13"),
        ("1987-05", "1987-05"),
    ] {
        let form = multipart(&fields(&[("sought_birth", written)], &[]), &[]);
        let (st, location, page) = send(&c, &s.url("/request"), form).await;
        assert_eq!(st, StatusCode::SEE_OTHER, "{written} is accepted: {page}");
        let console = console_page(&s, &m, &location).await;
        assert!(console.contains(&format!(">{stored}<")), "{written} is stored as {stored}");
        assert!(!console.contains(written) || written == stored, "{written} is not kept as typed");
    }
    // The JSON API reads the same dates.
    let body = serde_json::json!({
        "language": "ru", "requester_name": "Ольга", "relationship": "сестра", "email": "olga@mail.ru",
        "sought_name": "Лаврентьев Остап", "sought_birth": "1.5.1987", "consent": true
    });
    let r = c.post(s.url("/api/v1/requests")).json(&body).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.expect("json");
    let console = console_page(&s, &m, v["status_url"].as_str().unwrap_or_default()).await;
    assert!(console.contains(">1987-05-01<"), "API dates are stored as ISO too");

    // A date the calendar does not have is refused, with an example to follow.
    for bad in ["31.02.1987", "13.13.1987", "13.05.87"] {
        let form = multipart(&fields(&[("sought_birth", bad)], &[]), &[]);
        let (st, _, page) = send(&c, &s.url("/request"), form).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad} is refused");
        assert!(page.contains("id=\"sought_birth-err\""), "{bad}: the error is at the field");
        let error = between(&page, "id=\"sought_birth-err\" class=\"error\">", "<").unwrap_or_default();
        assert!(error.contains("13.05.1987"), "{bad}: the message shows an accepted example: {error}");
        assert!(page.contains(&format!("value=\"{bad}\"")), "{bad}: what was typed stays to be corrected");
    }
}

#[tokio::test]
async fn an_email_address_needs_a_domain_with_a_dot_in_every_language() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &["--submit-rate-per-hour", "0"]);
    let c = client();
    for (lang, says) in [("ru", "olga@mail.ru"), ("uk", "olga@ukr.net"), ("en", "olga@mail.com")] {
        let form = multipart(&fields(&[("email", "olga@mail")], &[]), &[]);
        let (st, _, page) = send(&c, &s.url(&format!("/request?lang={lang}")), form).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{lang}: olga@mail is refused");
        let error = between(&page, "id=\"email-err\" class=\"error\">", "<").unwrap_or_default();
        assert!(error.contains(says) && error.contains('@'), "{lang}: the error says what is missing: {error}");
        assert!(page.contains("value=\"olga@mail\""), "{lang}: the address stays to be corrected");
    }
    let (st, location, _) = send(&c, &s.url("/request"), multipart(&fields(&[], &[]), &[])).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "olga@mail.ru is accepted");
    assert!(location.starts_with("/status/FK-"));
}

#[tokio::test]
async fn photos_survive_an_error_in_another_field_and_are_charged_once() {
    let (dir, _) = staff_registry(&[]);
    // Two photos at once, then nothing for half an hour.
    let s = Server::start(dir.path(), &["--photo-rate-per-hour", "4"]);
    let c = client();
    let (_, page) = text(&c, &s.url("/request")).await;
    let key = key_of(&page);
    let photos = [("brother.png", png(1)), ("letter.png", png(2))];
    let form = multipart(&fields(&[("email", "olga@mail")], &[("idempotency_key", &key)]), &photos);
    let (st, _, page) = send(&c, &s.url("/request"), form).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "the address needs fixing");
    assert!(page.contains("Фото сохранены: 2"), "the relative is told the photos are kept: {page}");
    assert!(page.contains("brother.png") && page.contains("letter.png"), "by the names she chose");
    let kept = input_values(&page, "kept_photo");
    assert_eq!(kept.len(), 2, "carried by hidden fields");
    assert_eq!(input_values(&page, "remove_photo"), kept, "each with a box to remove it");
    assert_eq!(key_of(&page), key, "the same form");

    // The thumbnails are there, for this form only.
    let thumb = |token: &str, k: &str| s.url(&format!("/request/photos/{token}?k={k}"));
    let r = c.get(thumb(&kept[0], &key)).send().await.expect("GET thumbnail");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/jpeg"));
    assert!(page.contains(&format!("src=\"/request/photos/{}?k={key}\"", kept[0])), "shown in the form");
    assert_eq!(c.get(thumb(&kept[0], "another-form")).send().await.expect("GET").status(), StatusCode::NOT_FOUND);

    // Another error, and one photo ticked for removal: one is left.
    let extra = [("idempotency_key", key.as_str()), ("kept_photo", &kept[0]), ("kept_photo", &kept[1])];
    let mut again = fields(&[("consent", "")], &extra);
    again.push(("remove_photo", &kept[1]));
    let (st, _, page) = send(&c, &s.url("/request"), multipart(&again, &[])).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "consent is missing");
    assert!(page.contains("Фото сохранены: 1") && !page.contains("letter.png"), "the removed one is gone");
    assert_eq!(input_values(&page, "kept_photo"), vec![kept[0].clone()]);

    // Fixed: the request is stored with the kept photo, although the photo
    // budget (two) was spent on the first post: kept photos are not charged again.
    let (st, location, page) = send(
        &c,
        &s.url("/request"),
        multipart(&fields(&[], &[("idempotency_key", &key), ("kept_photo", &kept[0])]), &[]),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "stored without picking the files again: {page}");
    assert_eq!(status_photos(&c, &s, &location).await, 1, "the request has the kept photo");
    // The budget really was spent: a new photo now waits.
    let (st, _, _) = send(&c, &s.url("/request"), multipart(&fields(&[], &[]), &[("new.png", png(3))])).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "new photos are charged");
}

#[tokio::test]
async fn switching_language_keeps_what_was_typed_and_the_photos() {
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &[]);
    let c = client();
    let (_, page) = text(&c, &s.url("/request")).await;
    // The switch is a set of submit buttons of the form, not links that lose it.
    let nav = between(&page, "<nav", "</nav>").expect("language switch");
    assert!(!nav.contains("<a "), "no plain links on the form page: {nav}");
    assert!(nav.contains("name=\"switch_lang\" value=\"uk\""), "{nav}");
    assert!(nav.contains("form=\"request-form\"") && page.contains("<form id=\"request-form\""));
    assert!(nav.contains("formnovalidate"), "an unfinished form switches too");
    let action = between(nav, "value=\"uk\" formaction=\"", "\"").expect("the button posts the form");
    // Enter in a field presses a plain submit, not a language button.
    let first_submit = between(&page, "<button", ">").unwrap_or_default();
    assert!(!first_submit.contains("switch_lang"), "the form's default button is no language: {first_submit}");

    // Half-filled (an invalid address too), with a photo: switch to Ukrainian.
    let typed = [
        ("requester_name", "Ольга Петрівна"),
        ("email", "olga@mail"),
        ("sought_name", "Лаврентьев Остап"),
        ("sought_birth", "13.05.1987"),
        ("marks", "шрам на лівій руці"),
        ("consent", ""),
    ];
    let key = key_of(&page);
    let extra = [("idempotency_key", key.as_str()), ("page_lang", "ru"), ("switch_lang", "uk")];
    let r = c
        .post(s.url(action))
        .multipart(multipart(&fields(&typed, &extra), &[("brother.png", png(4))]))
        .send()
        .await
        .expect("POST switch");
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("lang=uk"), "the site's language cookie is set: {cookie}");
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("<html lang=\"uk\""), "the same form in Ukrainian");
    for (field, value) in typed.iter().filter(|(_, v)| !v.is_empty()) {
        assert!(page.contains(value), "{field} kept: {value}");
    }
    assert!(page.contains("<option value=\"uk\" selected"), "the answer's language follows the page");
    assert!(!page.contains("class=\"error\"") && !page.contains("role=\"alert\""), "no errors shown on a switch");
    assert!(page.contains("Фото збережено: 1"), "the photo is kept");
    let kept = input_values(&page, "kept_photo");
    assert_eq!(kept.len(), 1);

    // The cookie carries the language to the next page.
    let (_, next) = text(&c, &s.url("/request")).await;
    assert!(next.contains("<html lang=\"uk\""));
    // The form is sent from the Ukrainian page with its photo.
    let done = [("idempotency_key", key.as_str()), ("kept_photo", &kept[0])];
    let form = multipart(&fields(&[("language", "uk")], &done), &[]);
    let (st, location, page) = send(&c, &s.url("/request"), form).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(status_photos(&c, &s, &location).await, 1);

    // The other pages keep their plain language links.
    let (_, home) = text(&Client::new(), &s.url("/")).await;
    let nav = between(&home, "<nav", "</nav>").unwrap_or_default();
    assert!(nav.contains("href=\"/?lang=uk\"") && !nav.contains("switch_lang"), "{nav}");
}

#[tokio::test]
async fn the_home_page_and_every_search_answer_lead_to_the_request_form() {
    let s = Server::start(dev_registry(), &[]);
    let c = Client::new();
    let (_, home) = text(&c, &s.url("/")).await;
    let cta = between(&home, "href=\"/request\"", "</a>").expect("a link to the request form");
    assert!(cta.contains("Отправить запрос о родственнике"), "{cta}");

    // Hits: each may be him, and below them the way on if he is not there.
    let p = &unique_people(1)[0];
    let q = format!("{} {}", p.surname, p.given_name);
    let encoded = encode(&q);
    let (st, page) = text(&c, &s.url(&format!("/search?q={encoded}"))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("class=\"hits\"") && page.contains("href=\"/request?c="), "hits link to the form");
    let invite = between(&page, "class=\"request-invite\">", "</p>").expect("the way on under the hits");
    assert!(invite.contains("нет в списке"), "{invite}");
    assert!(invite.contains(&format!("href=\"/request?q={encoded}\"")), "with the query: {invite}");

    // No hits: the same way on, prominently.
    let nobody = encode("Ыхтырбаев Зульпикар");
    let (_, page) = text(&c, &s.url(&format!("/search?q={nobody}"))).await;
    assert!(page.contains("class=\"no-hits\""));
    let none = between(&page, "class=\"no-hits\">", "</div>").unwrap_or_default();
    assert!(none.contains(&format!("href=\"/request?q={nobody}\"")), "{none}");

    // The form opens with the query as the name sought.
    let (st, form) = text(&c, &s.url(&format!("/request?q={nobody}"))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(form.contains("value=\"Ыхтырбаев Зульпикар\""));
}

#[tokio::test]
async fn a_surname_alone_asks_for_a_given_name_or_year_and_offers_the_form() {
    let s = Server::start(dev_registry(), &[]);
    let c = Client::new();
    let p = &unique_people(1)[0];
    let encoded = encode(&p.surname);
    let (st, page) = text(&c, &s.url(&format!("/search?q={encoded}"))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("добавьте имя") && page.contains("год рождения"), "asks for more");
    assert!(!page.contains("class=\"hits\"") && !page.contains("Возможных совпадений"), "lists nobody");
    let invite = between(&page, "class=\"request-invite\">", "</p>").expect("the way to the form");
    assert!(invite.contains(&format!("href=\"/request?q={encoded}\"")), "{invite}");
    // With a birth year the same surname lists people.
    let (_, page) = text(&c, &s.url(&format!("/search?q={encoded}&birth_year=1990"))).await;
    assert!(!page.contains("добавьте имя"), "a year is enough");
}
