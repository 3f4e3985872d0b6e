//! Helpers of the console and journey tests, beside [`crate::relative`]
//! (submission, console actions, the queue): a request that matches the
//! seed record S1 field by field, the relative's answer, a staff page.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::staff::{client, post, text, Staff};
use crate::Server;

/// A request about the seed record S1 (Лаврентьев Остап Ильич, 1990-01-02,
/// Тульская область) from `name`, with every field the record has.
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

/// The relative writes on her status page.
pub async fn relative_writes(s: &Server, reference: &str, token: &str, body: &str) {
    let url = s.url(&format!("/status/{reference}/message"));
    let (st, _, _) = post(&client(), &url, &[("t", token), ("body", body)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "the relative's message is taken");
}

/// A staff page's HTML (asserting it answers 200).
pub async fn page(s: &Server, who: &Staff, path: &str) -> String {
    let (st, html) = text(&who.c, &s.url(path)).await;
    assert_eq!(st, StatusCode::OK, "{path}: {html}");
    html
}
