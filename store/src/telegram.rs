//! All the bot's SQL: chats and their questionnaires, the update offset,
//! requests linked to a chat, and moderators linking their chat.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::clock::unix_now as now;
use crate::state::State;
use crate::{Store, StoreError, Writer};

/// A Telegram username as people write it, reduced to the name itself:
/// `@Olga_K`, `olga_k`, `https://t.me/olga_k` are all `olga_k`.
pub fn telegram_handle(text: &str) -> String {
    let t = text.trim();
    let t = t.rsplit('/').next().unwrap_or(t);
    t.trim_start_matches('@').to_ascii_lowercase()
}

/// What the bot remembers of a chat; `D` is the bot's questionnaire,
/// stored as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRow<D> {
    pub chat_id: i64,
    pub language: String,
    pub language_set: bool,
    pub dialog: Option<D>,
    pub pending_answer: Option<String>,
}

#[derive(FromRow)]
struct ChatFields {
    language: String,
    language_set: i64,
    dialog: Option<String>,
    pending_answer: Option<String>,
}

/// A request linked to a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    pub id: i64,
    pub reference: String,
    pub state: State,
}

impl Store {
    /// The chat's row, created with `language` on first contact.
    pub async fn tg_chat<D: DeserializeOwned>(&self, chat_id: i64, language: &str) -> Result<ChatRow<D>, StoreError> {
        sqlx::query(
            "INSERT INTO telegram_chats (chat_id, language, updated_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(chat_id)
        .bind(language)
        .bind(now())
        .execute(&self.pool)
        .await?;
        let r: ChatFields = sqlx::query_as(
            "SELECT language, language_set, dialog, pending_answer FROM telegram_chats WHERE chat_id = $1",
        )
        .bind(chat_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(ChatRow {
            chat_id,
            language: r.language,
            language_set: r.language_set != 0,
            // A dialog stored by an older version that no longer reads is dropped.
            dialog: r.dialog.and_then(|d| serde_json::from_str(&d).ok()),
            pending_answer: r.pending_answer,
        })
    }

    /// Follows Telegram's language of the user until the relative picks one.
    pub async fn tg_set_language(&self, chat_id: i64, language: &str, picked: bool) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE telegram_chats SET language = $1, \
             language_set = CASE WHEN language_set > $2 THEN language_set ELSE $2 END, updated_at = $3 \
             WHERE chat_id = $4 AND ($2 = 1 OR language_set = 0)",
        )
        .bind(language)
        .bind(picked as i64)
        .bind(now())
        .bind(chat_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A new questionnaire number for the chat.
    pub async fn tg_next_dialog_id(&self, chat_id: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("UPDATE telegram_chats SET dialogs = dialogs + 1 WHERE chat_id = $1 RETURNING dialogs")
            .bind(chat_id)
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn tg_save_dialog<D: Serialize>(&self, chat_id: i64, dialog: Option<&D>) -> Result<(), StoreError> {
        let text = dialog.map(serde_json::to_string).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query("UPDATE telegram_chats SET dialog = $1, updated_at = $2 WHERE chat_id = $3")
            .bind(text)
            .bind(now())
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn tg_set_pending_answer(&self, chat_id: i64, text: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE telegram_chats SET pending_answer = $1, updated_at = $2 WHERE chat_id = $3")
            .bind(text)
            .bind(now())
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// `/stop`: the chat is unlinked from every request (and from a
    /// moderator's alerts) and its row is forgotten. Returns how many
    /// requests were linked.
    pub async fn tg_forget_chat(&self, chat_id: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        let n = sqlx::query("UPDATE contact_requests SET telegram_chat_id = NULL WHERE telegram_chat_id = $1")
            .bind(chat_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "UPDATE users SET notify_chat_id = NULL, \
             notify_channel = CASE WHEN notify_channel = 'telegram' THEN 'none' ELSE notify_channel END \
             WHERE notify_chat_id = $1",
        )
        .bind(chat_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM telegram_chats WHERE chat_id = $1").bind(chat_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Stores the chat as the contact of a request sent from it.
    pub async fn tg_link_request(&self, request_id: i64, chat_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE contact_requests SET telegram_chat_id = $1 WHERE id = $2")
            .bind(chat_id)
            .bind(request_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The request a questionnaire was submitted as, by its idempotency key.
    pub async fn tg_request_by_key(&self, key: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM contact_requests WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The chat's requests, oldest first.
    pub async fn tg_chat_requests(&self, chat_id: i64) -> Result<Vec<ChatRequest>, StoreError> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, reference, state FROM contact_requests WHERE telegram_chat_id = $1 ORDER BY id")
                .bind(chat_id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(id, reference, state)| {
                let state =
                    State::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("unknown state {state:?}")))?;
                Ok(ChatRequest { id, reference, state })
            })
            .collect()
    }

    /// Whether `chat_id` may still hear of `request_id`: the request's chat,
    /// or a moderator's linked chat (alerts). After `/stop`, neither.
    pub async fn tg_chat_may_hear(&self, chat_id: i64, request_id: Option<i64>) -> Result<bool, StoreError> {
        let staff: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE notify_chat_id = $1 AND disabled = 0")
            .bind(chat_id)
            .fetch_one(&self.pool)
            .await?;
        if staff > 0 {
            return Ok(true);
        }
        let Some(id) = request_id else { return Ok(false) };
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM contact_requests WHERE id = $1 AND telegram_chat_id = $2")
                .bind(id)
                .bind(chat_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// `/staff CODE`: links the chat to the active account whose one-time
    /// code this is (unexpired), for its alerts; the code is used up.
    /// Returns the account's name.
    pub async fn tg_link_staff(&self, code: &str, chat_id: i64) -> Result<Option<String>, StoreError> {
        let hash = hex::encode(Sha256::digest(code.trim().as_bytes()));
        let name: Option<String> = sqlx::query_scalar(
            "UPDATE users SET notify_chat_id = $1, notify_channel = 'telegram', telegram_link_hash = NULL, \
             telegram_link_expires = NULL \
             WHERE telegram_link_hash = $2 AND telegram_link_expires > $3 AND disabled = 0 RETURNING name",
        )
        .bind(chat_id)
        .bind(hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(name)
    }

    /// Links `chat_id` to the request `reference` if its Telegram contact is
    /// `username` (as people write it: `@name`, `name`, `t.me/name`, any
    /// case) and no chat holds it yet; the request is then reachable, so it
    /// leaves the call-back list. Returns the reference when linked.
    pub async fn tg_link_web_request(
        &self,
        reference: &str,
        username: &str,
        chat_id: i64,
    ) -> Result<Option<String>, StoreError> {
        let reference = reference.trim().to_uppercase();
        let row: Option<(i64, Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT id, telegram, telegram_chat_id FROM contact_requests WHERE reference = $1")
                .bind(&reference)
                .fetch_optional(&self.pool)
                .await?;
        let Some((id, Some(given), None)) = row else { return Ok(None) };
        if telegram_handle(&given) != telegram_handle(username) || telegram_handle(username).is_empty() {
            return Ok(None);
        }
        let linked = sqlx::query(
            "UPDATE contact_requests SET telegram_chat_id = $1, callback_since = NULL \
             WHERE id = $2 AND telegram_chat_id IS NULL",
        )
        .bind(chat_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok((linked.rows_affected() == 1).then_some(reference))
    }

    /// The next getUpdates offset (0 before the first update).
    pub async fn tg_offset(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM telegram_meta WHERE key = 'offset'")
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or(0))
    }

    pub async fn tg_set_offset(&self, offset: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO telegram_meta (key, value) VALUES ('offset', $1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(offset)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
