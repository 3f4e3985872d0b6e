//! The outbox's Telegram channel: rows with `channel = 'telegram'` go out
//! by `sendMessage` to the chat id in `recipient`. The claim, backoff and
//! fresh-link logic is the outbox's own ([`crate::notify::deliver_due_via`]).

use findkin_app::i18n::{t, tf, Lang};

use super::api::Api;
use super::TelegramError;
use crate::notify::{Channel, Courier, Failure, Outgoing};
use crate::store::Store;
use crate::workflow::State;

pub struct TelegramCourier {
    pub api: Api,
    pub store: Store,
}

#[async_trait::async_trait]
impl Courier for TelegramCourier {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    async fn deliver(&self, m: &Outgoing) -> Result<(), Failure> {
        let chat_id: i64 = m.recipient.trim().parse().map_err(|_| Failure::Permanent("invalid chat id".into()))?;
        // A chat unlinked by /stop after the row was queued hears nothing more.
        match self.store.tg_chat_may_hear(chat_id, m.request_id).await {
            Ok(true) => {}
            Ok(false) => return Err(Failure::Permanent("the chat was unlinked (/stop)".into())),
            Err(e) => return Err(Failure::Retry(e.to_string())),
        }
        self.api.send_message(chat_id, &m.body, None).await.map_err(|e| match e {
            e if e.is_retryable() => Failure::Retry(e.to_string()),
            TelegramError::Api { code, description, .. } => Failure::Permanent(format!("{code} {description}")),
            e => Failure::Permanent(e.to_string()),
        })
    }
}

/// The chat's words for "your request has news", in the request's language.
/// A release names no detail: the courier appends a fresh status link.
/// The moderator's words go along otherwise (the chat is the relative's own,
/// proven by Telegram, unlike a typed-in address).
pub fn chat_notice(lang: Lang, reference: &str, state: State, words: Option<&str>) -> (String, bool) {
    let state_words = t(lang, &format!("request.state.{}", state.as_str()));
    if state == State::Released {
        return (tf(lang, "tg.notify.released", &[("ref", reference)]), true);
    }
    let mut body = tf(lang, "tg.notify.state", &[("ref", reference), ("state", &state_words)]);
    if let Some(w) = words.map(str::trim).filter(|w| !w.is_empty()) {
        body.push_str("\n\n");
        body.push_str(&tf(lang, "tg.notify.words", &[("text", w)]));
    }
    if state == State::NeedsInfo {
        body.push_str("\n\n");
        body.push_str(&t(lang, "tg.notify.answer_here"));
    }
    (body, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_notice_names_no_detail_and_asks_for_a_link() {
        let (body, link) = chat_notice(Lang::En, "FK-AAAA-BBBB", State::Released, Some("He is alive, in Tula"));
        assert!(link);
        assert!(body.contains("FK-AAAA-BBBB"));
        assert!(!body.contains("Tula"), "the moderator's words stay on the page: {body}");
        let (body, link) = chat_notice(Lang::Ru, "FK-AAAA-BBBB", State::NeedsInfo, Some("Есть фото?"));
        assert!(!link);
        assert!(body.contains("Есть фото?"));
    }
}
