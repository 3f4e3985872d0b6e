//! The relative's side over HTTP, for the tests of the status pages and the
//! journeys: a request sent through the API, two moderators taking it to a
//! decision through the console, and the mails the outbox wrote.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::staff::{csrf, form_fields, post, text, Staff};
use crate::Server;

/// A request about the seed record S1 (Лаврентьев Остап Ильич) in `lang`.
pub fn request_body(lang: &str, name: &str, email: &str) -> Value {
    json!({
        "language": lang,
        "requester_name": name,
        "relationship": "мать",
        "email": email,
        "sought_name": "Лаврентьев Остап Ильич",
        "sought_birth": "1990",
        "consent": true
    })
}

/// Sends a request through the JSON API: (reference, token).
pub async fn submit(s: &Server, body: &Value) -> (String, String) {
    let r = Client::new().post(s.url("/api/v1/requests")).json(body).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("json");
    let field = |k: &str| v[k].as_str().expect("reference and token").to_string();
    (field("reference"), field("token"))
}

/// What the API tells the relative about the request.
pub async fn view(s: &Server, reference: &str, token: &str) -> Value {
    let url = s.url(&format!("/api/v1/requests/{reference}"));
    let r = Client::new().get(url).bearer_auth(token).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("json")
}

/// Posts a console action on request `id` and returns the status code.
pub async fn act(s: &Server, who: &Staff, id: i64, action: &str, extra: &[(&str, &str)]) -> StatusCode {
    let token = csrf(&who.c, &s.url(&format!("/staff/requests/{id}"))).await;
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(extra);
    post(&who.c, &s.url(&format!("/staff/requests/{id}/{action}")), &form).await.0
}

/// The id of a request in the console queue, by reference.
pub async fn request_id(s: &Server, who: &Staff, reference: &str) -> i64 {
    let (_, html) = text(&who.c, &s.url("/staff/requests?state=")).await;
    let link = html.split("href=\"/staff/requests/").find(|chunk| chunk.contains(reference)).expect("request in queue");
    link.split('"').next().and_then(|n| n.parse().ok()).expect("request id")
}

/// Claim, propose `record_id`, and approve by the other moderator with `message`.
pub async fn release(s: &Server, m1: &Staff, m2: &Staff, reference: &str, record_id: &str, message: &str) {
    let id = request_id(s, m1, reference).await;
    assert_eq!(act(s, m1, id, "claim", &[]).await, StatusCode::SEE_OTHER, "claim");
    assert_eq!(act(s, m1, id, "propose", &[("record_id", record_id)]).await, StatusCode::SEE_OTHER, "propose");
    assert_eq!(act(s, m2, id, "approve", &[("message", message)]).await, StatusCode::SEE_OTHER, "approve");
}

/// The text of an .eml the outbox wrote (a Cyrillic body is base64).
pub fn mail_body(eml: &str) -> String {
    let Some((head, body)) = eml.split_once("\r\n\r\n") else { return eml.to_string() };
    if !head.contains("Content-Transfer-Encoding: base64") {
        return body.replace("=\r\n", "");
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextets: Vec<u32> =
        body.bytes().filter_map(|b| ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)).collect();
    let mut bytes = Vec::new();
    for chunk in sextets.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, v)| acc | (v << (18 - 6 * i)));
        bytes.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Every mail body in the outbox of `data_dir`.
pub fn mails(data_dir: &Path) -> Vec<String> {
    std::fs::read_dir(data_dir.join("outbox"))
        .map(|d| d.flatten().map(|f| mail_body(&std::fs::read_to_string(f.path()).unwrap_or_default())).collect())
        .unwrap_or_default()
}

/// The status link path (`/status/FK-…?t=…`) of `reference` in a mail, if any.
pub fn status_link_in(mail: &str, reference: &str) -> Option<String> {
    let start = format!("/status/{reference}?t=");
    let at = mail.find(&start)? + start.len();
    let token: String = mail[at..].chars().take_while(char::is_ascii_alphanumeric).collect();
    (!token.is_empty()).then(|| format!("{start}{token}"))
}

/// Waits (at most 20 s: the outbox worker writes every few seconds) for a
/// mail that carries a status link of `reference`, and returns that link.
pub async fn wait_for_status_link(data_dir: &Path, reference: &str) -> String {
    let started = Instant::now();
    loop {
        if let Some(link) = mails(data_dir).iter().find_map(|m| status_link_in(m, reference)) {
            return link;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no mail with a link to {reference}: {:#?}",
            mails(data_dir)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An editor changes one field of record `id` through the console's edit
/// form, posted back whole as a browser would; returns the status code.
pub async fn edit_record(s: &Server, editor: &Staff, id: i64, field: &str, value: &str) -> StatusCode {
    let (st, html) = text(&editor.c, &s.url(&format!("/staff/records/{id}/edit"))).await;
    assert_eq!(st, StatusCode::OK);
    let mut form = form_fields(&html, &format!("/staff/records/{id}"));
    let slot = form.iter_mut().find(|(k, _)| k == field).unwrap_or_else(|| panic!("no {field} in {html}"));
    slot.1 = value.to_string();
    let r = editor.c.post(s.url(&format!("/staff/records/{id}"))).form(&form).send().await.expect("POST");
    r.status()
}

/// The delivered messages to `to` in the outbox (`.eml` files), as text.
pub fn mails_to(outbox: &Path, to: &str) -> Vec<String> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(outbox)
        .map(|d| {
            d.flatten()
                .filter(|f| f.path().extension().is_some_and(|e| e == "eml"))
                .map(|f| {
                    (
                        f.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(f.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter()
        .map(|(_, eml)| eml.replace("=\r\n", "").replace("=3D", "="))
        .filter(|eml| eml.contains(to))
        .collect()
}

/// Waits (at most 30 s; the outbox worker runs every 5 s) until `to` has `n` messages.
pub async fn wait_for_mails(outbox: &Path, to: &str, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let mails = mails_to(outbox, to);
        if mails.len() >= n || started.elapsed() > Duration::from_secs(30) {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

pub fn confirm_link(eml: &str) -> Option<String> {
    let at = eml.find("/confirm/")?;
    let token: String = eml[at + 9..].chars().take_while(char::is_ascii_hexdigit).collect();
    (!token.is_empty()).then(|| format!("/confirm/{token}"))
}
