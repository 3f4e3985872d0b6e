//! Webhook mode: Telegram posts each update to `/telegram/webhook` with the
//! secret given at `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`; the
//! route checks it and hands the update to the bot's queue.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

use super::api::Update;
use crate::http::AppState;

/// The route's end of the webhook.
#[derive(Clone)]
pub struct Hook {
    pub secret: String,
    pub queue: tokio::sync::mpsc::Sender<Update>,
}

/// Compares digests, so the time taken says nothing about the secret.
fn same_secret(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// `POST /telegram/webhook`.
pub async fn receive(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(hook) = &st.telegram else { return StatusCode::NOT_FOUND };
    let given = headers.get("x-telegram-bot-api-secret-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !same_secret(given, &hook.secret) {
        return StatusCode::UNAUTHORIZED;
    }
    // An update we cannot read is acknowledged: Telegram would resend it forever.
    let Ok(update) = serde_json::from_slice::<Update>(&body) else { return StatusCode::OK };
    match hook.queue.try_send(update) {
        Ok(()) => StatusCode::OK,
        // Full: Telegram retries later.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare() {
        assert!(super::same_secret("abc", "abc"));
        assert!(!super::same_secret("abd", "abc"));
        assert!(!super::same_secret("", "abc"));
    }
}
