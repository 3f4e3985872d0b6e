//! A small Bot API client: JSON over HTTPS (or plain HTTP to a local Bot
//! API server or a test double). Every error has its URL stripped, since
//! the URL carries the token.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::TelegramError;

/// The Bot API at `base` for the bot with `token`.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Api").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Most bytes of a file the bot downloads (a photo is checked against the
/// photo limits afterwards; this bounds what is read at all).
pub const MAX_DOWNLOAD_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Deserialize)]
pub struct Update {
    pub update_id: i64,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub callback_query: Option<CallbackQuery>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Chat {
    pub id: i64,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: i64,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhotoSize {
    pub file_id: String,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    pub file_id: String,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub message_id: i64,
    pub chat: Chat,
    #[serde(default)]
    pub from: Option<User>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub photo: Option<Vec<PhotoSize>>,
    #[serde(default)]
    pub document: Option<Document>,
}

/// The message a button was under: only its chat matters here.
#[derive(Debug, Clone, Deserialize)]
pub struct ButtonMessage {
    pub chat: Chat,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default)]
    pub message: Option<ButtonMessage>,
    #[serde(default)]
    pub data: Option<String>,
}

/// An inline button that sends `data` back as a callback query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    pub text: String,
    pub callback_data: String,
}

impl Button {
    pub fn new(text: impl Into<String>, data: impl Into<String>) -> Button {
        Button { text: text.into(), callback_data: data.into() }
    }
}

/// Rows of inline buttons under a message.
pub type Keyboard = Vec<Vec<Button>>;

#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
}

impl Api {
    /// `base` is e.g. `https://api.telegram.org` (no trailing slash needed).
    pub fn new(base: &str, token: &str) -> Result<Api, TelegramError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Long polls wait up to 50 s; the client allows a margin.
            .timeout(Duration::from_secs(75))
            .build()?;
        Ok(Api { http, base: base.trim_end_matches('/').to_string(), token: token.to_string() })
    }

    async fn call(&self, method: &'static str, body: Value) -> Result<Value, TelegramError> {
        let url = format!("{}/bot{}/{method}", self.base, self.token);
        let resp = self.http.post(url).json(&body).send().await?;
        let status = resp.status().as_u16();
        let envelope: Envelope = resp
            .json()
            .await
            .map_err(|e| TelegramError::Http(format!("{method}: HTTP {status}: {}", e.without_url())))?;
        if envelope.ok {
            Ok(envelope.result.unwrap_or(Value::Null))
        } else {
            Err(TelegramError::Api {
                method,
                code: envelope.error_code.unwrap_or(i64::from(status)),
                description: envelope.description.unwrap_or_default().chars().take(300).collect(),
            })
        }
    }

    /// Checks the token; returns the bot's user name.
    pub async fn get_me(&self) -> Result<String, TelegramError> {
        let me = self.call("getMe", json!({})).await?;
        Ok(me.get("username").and_then(Value::as_str).unwrap_or_default().to_string())
    }

    /// Long poll: waits up to `timeout_secs` for updates after `offset`.
    pub async fn get_updates(&self, offset: i64, timeout_secs: u64) -> Result<Vec<Update>, TelegramError> {
        let body = json!({
            "offset": offset,
            "timeout": timeout_secs,
            "allowed_updates": ["message", "callback_query"],
        });
        let result = self.call("getUpdates", body).await?;
        // One malformed update must not block the others: skip it.
        let list = result.as_array().cloned().unwrap_or_default();
        Ok(list.into_iter().filter_map(|u| serde_json::from_value(u).ok()).collect())
    }

    /// Sends a plain-text message (no markup: names are never parsed as HTML).
    pub async fn send_message(
        &self,
        chat_id: i64,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Result<(), TelegramError> {
        let mut body = json!({
            "chat_id": chat_id,
            "text": super::fit_text(text),
            "link_preview_options": { "is_disabled": true },
        });
        if let Some(k) = keyboard.filter(|k| !k.is_empty()) {
            body["reply_markup"] = json!({ "inline_keyboard": k });
        }
        self.call("sendMessage", body).await.map(|_| ())
    }

    pub async fn answer_callback_query(&self, id: &str) -> Result<(), TelegramError> {
        self.call("answerCallbackQuery", json!({ "callback_query_id": id })).await.map(|_| ())
    }

    /// Downloads a file by its `file_id` (getFile, then the file itself),
    /// refusing anything over `max_bytes`.
    pub async fn download(&self, file_id: &str, max_bytes: usize) -> Result<Vec<u8>, TelegramError> {
        let file = self.call("getFile", json!({ "file_id": file_id })).await?;
        if file.get("file_size").and_then(Value::as_u64).is_some_and(|s| s > max_bytes as u64) {
            return Err(TelegramError::Http("file too large".into()));
        }
        let path = file
            .get("file_path")
            .and_then(Value::as_str)
            .ok_or_else(|| TelegramError::Http("getFile gave no file_path".into()))?;
        let url = format!("{}/file/bot{}/{path}", self.base, self.token);
        let mut resp = self.http.get(url).send().await?.error_for_status()?;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(TelegramError::Http("file too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Sends updates to `url`, each with the header
    /// `X-Telegram-Bot-Api-Secret-Token: secret`.
    pub async fn set_webhook(&self, url: &str, secret: &str) -> Result<(), TelegramError> {
        let body = json!({
            "url": url,
            "secret_token": secret,
            "allowed_updates": ["message", "callback_query"],
        });
        self.call("setWebhook", body).await.map(|_| ())
    }

    /// Back to long polling (getUpdates fails while a webhook is set).
    pub async fn delete_webhook(&self) -> Result<(), TelegramError> {
        self.call("deleteWebhook", json!({})).await.map(|_| ())
    }
}
