//! Moving a contact request along over HTTP, as the console and workflow
//! tests need: a relative's submission and answer, a moderator's step, and
//! finding a request in the queue.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::staff::{client, csrf, post, text, Staff};
use crate::Server;

/// A request about the seed record S1 (Лаврентьев Остап Ильич, 1990-01-02,
/// Тульская область) from `name`.
pub fn request_body(name: &str) -> Value {
    json!({
        "language": "ru",
        "requester_name": name,
        "relationship": "мать",
        "email": "mother@example.org",
        "sought_name": "Лаврентьев Остап Ильич",
        "sought_birth": "1990-01-02",
        "sought_region": "Тульская область",
        "consent": true
    })
}

/// Submits through the JSON API: (reference, status token).
pub async fn submit(s: &Server, body: &Value) -> (String, String) {
    let r = Client::new().post(s.url("/api/v1/requests")).json(body).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("json");
    let field = |k: &str| v[k].as_str().expect(k).to_string();
    (field("reference"), field("token"))
}

/// The relative writes on her status page.
pub async fn relative_writes(s: &Server, reference: &str, token: &str, body: &str) {
    let (st, _, _) =
        post(&client(), &s.url(&format!("/status/{reference}/message")), &[("t", token), ("body", body)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "the relative's message is taken");
}

/// Posts a console action on request `id` as a browser would (with the
/// page's CSRF token): the status and the body (a refusal is in words).
pub async fn act(s: &Server, who: &Staff, id: i64, action: &str, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let token = csrf(&who.c, &s.url(&format!("/staff/requests/{id}"))).await;
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(extra);
    let (st, _, body) = post(&who.c, &s.url(&format!("/staff/requests/{id}/{action}")), &form).await;
    (st, body)
}

/// The id of a request in the console queue, by reference.
pub async fn request_id(s: &Server, who: &Staff, reference: &str) -> i64 {
    let (_, html) = text(&who.c, &s.url("/staff/requests")).await;
    let link = html.split("href=\"/staff/requests/").find(|chunk| chunk.contains(reference)).expect("request in queue");
    link.split('"').next().and_then(|n| n.parse().ok()).expect("request id")
}

/// A staff page's HTML (asserting it answers 200).
pub async fn page(s: &Server, who: &Staff, path: &str) -> String {
    let (st, html) = text(&who.c, &s.url(path)).await;
    assert_eq!(st, StatusCode::OK, "{path}: {html}");
    html
}
