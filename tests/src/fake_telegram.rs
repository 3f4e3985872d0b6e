//! A fake Telegram Bot API on loopback for the bot's tests: real HTTP and
//! JSON (`POST /bot<token>/<method>`, files at `/file/bot<token>/<path>`).
//! The test pushes updates (messages, photos, button presses); getUpdates
//! hands them out as a long poll (held at most [`MAX_HOLD`]); every
//! sendMessage is recorded, and the test waits, bounded in time, for one
//! that matches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The longest a getUpdates call is held open.
pub const MAX_HOLD: Duration = Duration::from_secs(3);

/// A message the bot sent.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: i64,
    pub text: String,
    /// (text, callback_data) of every inline button.
    pub buttons: Vec<(String, String)>,
}

impl Sent {
    /// The callback data of the first button whose data starts with `prefix`.
    pub fn button(&self, prefix: &str) -> Option<String> {
        self.buttons.iter().find(|(_, d)| d.starts_with(prefix)).map(|(_, d)| d.clone())
    }
}

/// A Telegram user in a private chat with the bot.
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: i64,
    pub username: Option<String>,
    pub language_code: String,
}

impl Person {
    /// In a private chat, the chat id is the user id.
    pub fn chat(&self) -> i64 {
        self.user_id
    }

    fn from(&self) -> Value {
        json!({
            "id": self.user_id,
            "is_bot": false,
            "first_name": "Test",
            "username": self.username,
            "language_code": self.language_code,
        })
    }
}

#[derive(Default)]
struct Inner {
    pending: Vec<Value>,
    next_update: i64,
    next_message: i64,
    sent: Vec<Sent>,
    /// file_id → (file_path, bytes).
    files: HashMap<String, (String, Vec<u8>)>,
    /// Methods called, in order (getUpdates excluded).
    calls: Vec<String>,
    /// Raw paths of every request, to check the token is used as given.
    paths: Vec<String>,
    /// The last setWebhook: (url, secret_token).
    webhook: Option<(String, String)>,
}

struct Shared {
    token: String,
    inner: Mutex<Inner>,
    wake: tokio::sync::Notify,
}

/// The running fake; stops with the test's runtime.
pub struct FakeTelegram {
    pub url: String,
    shared: Arc<Shared>,
}

fn ok(result: Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}

fn refused(code: u16, description: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(json!({ "ok": false, "error_code": code, "description": description }))).into_response()
}

async fn method(State(s): State<Arc<Shared>>, Path((bot, name)): Path<(String, String)>, body: Bytes) -> Response {
    if bot != format!("bot{}", s.token) {
        return refused(401, "Unauthorized");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if name == "getUpdates" {
        return get_updates(&s, &body).await;
    }
    let mut inner = s.inner.lock().expect("lock");
    inner.calls.push(name.clone());
    match name.as_str() {
        "getMe" => ok(json!({ "id": 1, "is_bot": true, "first_name": "findkin", "username": "findkin_test_bot" })),
        "setWebhook" => {
            let s = |k: &str| body[k].as_str().unwrap_or_default().to_string();
            inner.webhook = Some((s("url"), s("secret_token")));
            ok(json!(true))
        }
        "deleteWebhook" | "answerCallbackQuery" => ok(json!(true)),
        "sendMessage" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_string();
            let buttons = body["reply_markup"]["inline_keyboard"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|row| row.as_array().cloned().unwrap_or_default())
                .map(|b| {
                    let s = |k: &str| b[k].as_str().unwrap_or_default().to_string();
                    (s("text"), s("callback_data"))
                })
                .collect();
            inner.sent.push(Sent { chat_id, text: text.clone(), buttons });
            inner.next_message += 1;
            let id = inner.next_message;
            ok(json!({ "message_id": id, "chat": { "id": chat_id, "type": "private" }, "date": 0, "text": text }))
        }
        "getFile" => {
            let id = body["file_id"].as_str().unwrap_or_default();
            match inner.files.get(id) {
                Some((path, bytes)) => {
                    ok(json!({ "file_id": id, "file_unique_id": id, "file_size": bytes.len(), "file_path": path }))
                }
                None => refused(400, "Bad Request: invalid file_id"),
            }
        }
        _ => refused(404, "Not Found"),
    }
}

async fn get_updates(s: &Shared, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let wait = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0)).min(MAX_HOLD);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Registered before looking, so a push in between is not missed.
        let woken = s.wake.notified();
        {
            let mut inner = s.inner.lock().expect("lock");
            // Telegram forgets updates below the offset: they were handled.
            inner.pending.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !inner.pending.is_empty() {
                return ok(Value::Array(inner.pending.clone()));
            }
        }
        if tokio::time::timeout_at(deadline, woken).await.is_err() {
            return ok(json!([]));
        }
    }
}

async fn file(State(s): State<Arc<Shared>>, Path((bot, path)): Path<(String, String)>) -> Response {
    if bot != format!("bot{}", s.token) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let inner = s.inner.lock().expect("lock");
    match inner.files.values().find(|(p, _)| *p == path) {
        Some((_, bytes)) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn log_path(State(s): State<Arc<Shared>>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    s.inner.lock().expect("lock").paths.push(req.uri().path().to_string());
    next.run(req).await
}

impl FakeTelegram {
    /// Starts the fake on a free loopback port, for the bot with `token`.
    pub async fn start(token: &str) -> FakeTelegram {
        let shared = Arc::new(Shared {
            token: token.to_string(),
            inner: Mutex::new(Inner { next_update: 100, ..Inner::default() }),
            wake: tokio::sync::Notify::new(),
        });
        let app = Router::new()
            .route("/{bot}/{method}", post(method))
            .route("/file/{bot}/{*path}", get(file))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&shared), log_path))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake Bot API");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram { url, shared }
    }

    fn push(&self, make: impl FnOnce(i64, i64) -> Value) {
        let mut inner = self.shared.inner.lock().expect("lock");
        inner.next_update += 1;
        inner.next_message += 1;
        let update = make(inner.next_update, inner.next_message);
        inner.pending.push(update);
        drop(inner);
        self.shared.wake.notify_waiters();
    }

    fn text_json(update_id: i64, message_id: i64, who: &Person, text: &str) -> Value {
        json!({ "update_id": update_id, "message": {
            "message_id": message_id, "date": 0, "text": text, "from": who.from(),
            "chat": { "id": who.chat(), "type": "private" },
        }})
    }

    /// `who` types `text` in the chat.
    pub fn text(&self, who: &Person, text: &str) {
        self.push(|update_id, message_id| FakeTelegram::text_json(update_id, message_id, who, text));
    }

    /// The update of `who` typing `text`, not queued: for posting to a webhook.
    pub fn text_update(&self, who: &Person, text: &str) -> Value {
        let mut inner = self.shared.inner.lock().expect("lock");
        inner.next_update += 1;
        inner.next_message += 1;
        FakeTelegram::text_json(inner.next_update, inner.next_message, who, text)
    }

    /// The last setWebhook call's (url, secret_token), if any.
    pub fn webhook(&self) -> Option<(String, String)> {
        self.shared.inner.lock().expect("lock").webhook.clone()
    }

    /// `who` sends a photo; the bytes are served through getFile.
    pub fn photo(&self, who: &Person, bytes: Vec<u8>) {
        let mut inner = self.shared.inner.lock().expect("lock");
        let n = inner.files.len() + 1;
        let (id, path) = (format!("photo-{n}"), format!("photos/file_{n}.jpg"));
        inner.files.insert(id.clone(), (path, bytes));
        drop(inner);
        self.push(|update_id, message_id| {
            json!({ "update_id": update_id, "message": {
                "message_id": message_id, "date": 0, "from": who.from(),
                "chat": { "id": who.chat(), "type": "private" },
                "photo": [
                    { "file_id": id, "file_unique_id": id, "width": 40, "height": 30 },
                ],
            }})
        });
    }

    /// `who` taps the inline button with `data`.
    pub fn press(&self, who: &Person, data: &str) {
        self.push(|update_id, message_id| {
            json!({ "update_id": update_id, "callback_query": {
                "id": format!("cb-{update_id}"), "from": who.from(), "chat_instance": "x", "data": data,
                "message": { "message_id": message_id, "date": 0, "chat": { "id": who.chat(), "type": "private" } },
            }})
        });
    }

    /// How many messages the bot has sent so far (a mark for [`Self::wait_for`]).
    pub fn mark(&self) -> usize {
        self.shared.inner.lock().expect("lock").sent.len()
    }

    /// The paths of every request the bot made (to check the token in them).
    pub fn paths(&self) -> Vec<String> {
        self.shared.inner.lock().expect("lock").paths.clone()
    }

    /// Every message the bot sent.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.inner.lock().expect("lock").sent.clone()
    }

    /// The names of the methods called (getUpdates excluded).
    pub fn calls(&self) -> Vec<String> {
        self.shared.inner.lock().expect("lock").calls.clone()
    }

    /// Waits (at most `limit`) for a message to `chat`, sent after `mark`,
    /// that matches `want`; panics with every message since `mark` if none does.
    pub async fn wait_for(&self, chat: i64, mark: usize, limit: Duration, want: impl Fn(&Sent) -> bool) -> Sent {
        let started = Instant::now();
        loop {
            let sent = self.sent();
            if let Some(m) = sent.iter().skip(mark).find(|m| m.chat_id == chat && want(m)) {
                return m.clone();
            }
            if started.elapsed() > limit {
                panic!(
                    "no matching message within {limit:?}; sent since the mark: {:#?}",
                    &sent[mark.min(sent.len())..]
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the next message to `chat` after `mark` containing `needle`.
    pub async fn reply(&self, chat: i64, mark: usize, needle: &str) -> Sent {
        self.wait_for(chat, mark, Duration::from_secs(20), |m| m.text.contains(needle)).await
    }

    /// Messages to `chat` sent after `mark`.
    pub fn since(&self, chat: i64, mark: usize) -> Vec<Sent> {
        self.sent().into_iter().skip(mark).filter(|m| m.chat_id == chat).collect()
    }
}
