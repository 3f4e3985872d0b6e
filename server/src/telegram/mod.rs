//! The Telegram bot (issue 11), part of `findkin serve`: a relative searches
//! the registry, sends a contact request as a short questionnaire, answers
//! moderators' questions and hears of every step of their requests in the
//! chat. Moderators may link a chat for their own alerts (`/staff CODE`).
//!
//! - [`api`]: the Bot API client (long polling or webhook, messages, files).
//! - [`dialog`]: the questionnaire as a pure state machine over stored state.
//! - [`bot`]: what the bot does with each update.
//! - [`courier`]: the outbox's Telegram channel (`sendMessage`).
//! - [`store`]: all the bot's SQL.
//!
//! Privacy: the token, names, texts and chat ids never go to the logs; logs
//! carry update kinds and counts only. Released details never go to a chat:
//! the chat gets a fresh status link instead.

pub mod api;
pub mod bot;
pub mod courier;
pub mod dialog;
pub use findkin_store::telegram as store;
pub mod webhook;

use findkin_app::i18n::Lang;

/// Everything that can go wrong in the bot.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// The Bot API could not be reached or answered garbage (URL stripped:
    /// it carries the token).
    #[error("Bot API request failed: {0}")]
    Http(String),
    /// The Bot API answered `ok: false`.
    #[error("Bot API refused {method}: {code} {description}")]
    Api { method: &'static str, code: i64, description: String },
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl From<crate::store::StoreError> for TelegramError {
    fn from(e: crate::store::StoreError) -> Self {
        TelegramError::Store(e.into())
    }
}

impl TelegramError {
    /// Whether trying again later may help (network trouble, flood control,
    /// a server error) rather than never (a blocked bot, an unknown chat).
    pub fn is_retryable(&self) -> bool {
        match self {
            TelegramError::Http(_) | TelegramError::Store(_) => true,
            TelegramError::Api { code, .. } => *code == 429 || *code >= 500,
        }
    }
}

impl From<reqwest::Error> for TelegramError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest errors name the URL, and the URL carries the token.
        TelegramError::Http(e.without_url().to_string())
    }
}

/// The chat's language from the user's Telegram `language_code`:
/// Ukrainian, Russian, else English.
pub fn lang_of_code(code: Option<&str>) -> Lang {
    match code.map(|c| c.get(..2).unwrap_or(c).to_ascii_lowercase()) {
        Some(c) if c == "uk" => Lang::Uk,
        Some(c) if c == "ru" => Lang::Ru,
        _ => Lang::En,
    }
}

/// The bot's @username, once `getMe` has answered: the status page names
/// it to relatives who gave a Telegram name on the web form.
static BOT_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn bot_name() -> Option<&'static str> {
    BOT_NAME.get().map(String::as_str)
}

/// Asks the Bot API who the bot is and keeps the answer for [`bot_name`].
async fn learn_name(api: &api::Api) {
    match api.get_me().await {
        Ok(name) => {
            tracing::info!(bot = %name, "telegram bot");
            let _ = BOT_NAME.set(name);
        }
        Err(error) => tracing::warn!(%error, "telegram bot: getMe failed"),
    }
}

/// Telegram's limit on one message's text, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Cuts a text to what one message takes, on a character boundary.
pub fn fit_text(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT_CHARS {
        return text.to_string();
    }
    let mut s: String = text.chars().take(MAX_TEXT_CHARS - 1).collect();
    s.push('…');
    s
}

/// What `serve` starts the bot with.
pub struct Settings {
    pub token: String,
    pub api_url: String,
    pub webhook_url: Option<String>,
    pub registry: std::sync::Arc<crate::registry::Registry>,
    pub search_budget: Option<std::sync::Arc<crate::http::search_guard::Budget>>,
    pub submissions: crate::http::Submissions,
    pub public_url: crate::http::public_url::PublicUrl,
}

/// Seconds a getUpdates long poll waits.
const POLL_TIMEOUT_SECS: u64 = 25;

/// Starts the bot (long polling, or the webhook's queue) and its outbox
/// courier; returns the webhook's end for the HTTP route in webhook mode.
pub fn start(s: Settings) -> Result<Option<webhook::Hook>, TelegramError> {
    let api = api::Api::new(&s.api_url, &s.token)?;
    let store = s.registry.store.clone();
    let courier = courier::TelegramCourier { api: api.clone(), store: store.clone() };
    let _courier = crate::notify::spawn_courier(
        store.pool.clone(),
        std::sync::Arc::new(courier),
        Some(s.public_url.origin().to_string()),
        std::time::Duration::from_secs(2),
    );
    let bot = std::sync::Arc::new(bot::Bot {
        api: api.clone(),
        registry: s.registry,
        search_budget: s.search_budget,
        submissions: s.submissions,
        public_url: s.public_url,
    });
    match s.webhook_url {
        None => {
            tokio::spawn(async move {
                learn_name(&bot.api).await;
                bot.poll(POLL_TIMEOUT_SECS).await;
            });
            Ok(None)
        }
        Some(url) => {
            use rand::RngCore;
            let mut raw = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut raw);
            let secret = hex::encode(raw);
            let (queue, rx) = tokio::sync::mpsc::channel(256);
            let hook_secret = secret.clone();
            tokio::spawn(async move {
                learn_name(&api).await;
                // Telegram may be unreachable at start: keep trying.
                let mut pause = std::time::Duration::from_secs(1);
                while let Err(error) = api.set_webhook(&url, &hook_secret).await {
                    tracing::warn!(%error, "telegram bot: setWebhook failed; will retry");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(300));
                }
                tracing::info!("telegram bot: webhook set");
            });
            tokio::spawn(bot.serve_queue(rx));
            Ok(Some(webhook::Hook { secret, queue }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_from_telegram() {
        assert_eq!(lang_of_code(Some("uk")), Lang::Uk);
        assert_eq!(lang_of_code(Some("ru-RU")), Lang::Ru);
        assert_eq!(lang_of_code(Some("de")), Lang::En);
        assert_eq!(lang_of_code(None), Lang::En);
    }

    #[test]
    fn long_texts_are_cut() {
        assert_eq!(fit_text("abc"), "abc");
        assert_eq!(fit_text(&"я".repeat(5000)).chars().count(), MAX_TEXT_CHARS);
    }
}
