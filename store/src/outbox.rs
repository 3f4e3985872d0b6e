//! The notification outbox as stored: messages queued inside the
//! transaction of the change they report, claimed and marked by the
//! server's delivery workers (`notify`), and the status links minted at
//! send time.

use sqlx::{AnyPool, FromRow};

use crate::{Conn, StoreError};

/// One notification to send.
#[derive(Debug, Clone)]
pub struct Message {
    pub request_id: Option<i64>,
    pub channel: Channel,
    /// An email address, or a Telegram chat id in decimal.
    pub recipient: String,
    /// Email only; chat messages have none.
    pub subject: String,
    pub body: String,
    /// The sender mints a fresh status link for `request_id` at send time
    /// and appends it, so no live link ever rests in the outbox (Telegram
    /// after a release: the chat gets the link, never the details).
    pub fresh_link: bool,
}

/// The ways a message can leave. Each channel has its own delivery worker;
/// rows of other channels are left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Telegram,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
        }
    }
}

/// Queues a message inside the caller's transaction, so it is stored exactly when the state change is.
///
/// The recipient is deliberately *not* validated here: a bad address must
/// not abort the caller's state change; it becomes a permanent delivery
/// failure instead. Returns the new row id.
pub async fn enqueue(tx: &mut Conn, m: &Message, now_unix: i64) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications \
         (request_id, channel, recipient, subject, body, created_at, attempts, next_try_at, fresh_link) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) RETURNING id",
    )
    .bind(m.request_id)
    .bind(m.channel.as_str())
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(now_unix)
    .bind(now_unix)
    .bind(i64::from(m.fresh_link))
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

/// A due outbox row.
#[derive(Debug, FromRow)]
pub struct Due {
    pub id: i64,
    pub request_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: i64,
    #[sqlx(try_from = "i64")]
    pub fresh_link: Flag,
}

/// A 0/1 integer column read as a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Self {
        Flag(v != 0)
    }
}

/// Up to `limit` unsent rows of `channel` due at `now_unix`, oldest first.
pub async fn due(pool: &AnyPool, channel: Channel, now_unix: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, request_id, recipient, subject, body, created_at, attempts, fresh_link FROM notifications \
         WHERE sent_at IS NULL AND next_try_at <= $1 AND channel = $2 \
         ORDER BY id LIMIT $3",
    )
    .bind(now_unix)
    .bind(channel.as_str())
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Claims a due row until `until`, so no concurrent run sends it too;
/// `false` when another run took it first.
pub async fn claim(pool: &AnyPool, id: i64, now_unix: i64, until: i64) -> Result<bool, StoreError> {
    let claimed = sqlx::query(
        "UPDATE notifications SET next_try_at = $1 WHERE id = $2 AND sent_at IS NULL AND next_try_at <= $3",
    )
    .bind(until)
    .bind(id)
    .bind(now_unix)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

pub async fn mark_sent(pool: &AnyPool, id: i64, now_unix: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE notifications SET sent_at = $1, last_error = NULL WHERE id = $2")
        .bind(now_unix)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Stores a failed try: the attempt count, the error and when to try again.
pub async fn mark_failed(
    pool: &AnyPool,
    id: i64,
    attempts: i64,
    error: &str,
    next_try_at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE notifications SET attempts = $1, last_error = $2, next_try_at = $3 WHERE id = $4")
        .bind(attempts)
        .bind(error)
        .bind(next_try_at)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Revokes a status link that never left (its send failed).
pub async fn revoke_token(pool: &AnyPool, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM request_tokens WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(())
}

fn status_token() -> String {
    use rand::Rng;
    let mut raw = [0u8; 24];
    rand::thread_rng().fill(&mut raw);
    hex::encode(raw)
}

/// Mints a new status link for `request_id` (old links stay valid): its
/// reference, the token (shown once) and the token's stored hash. `None`
/// when the request does not exist.
pub async fn mint_status_token(
    pool: &AnyPool,
    request_id: i64,
) -> Result<Option<(String, String, String)>, StoreError> {
    let reference: Option<String> = sqlx::query_scalar("SELECT reference FROM contact_requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(pool)
        .await?;
    let Some(reference) = reference else { return Ok(None) };
    let token = status_token();
    let hash = crate::sessions::hash_token(&token);
    sqlx::query("INSERT INTO request_tokens (token_hash, request_id) VALUES ($1, $2)")
        .bind(&hash)
        .bind(request_id)
        .execute(pool)
        .await?;
    Ok(Some((reference, token, hash)))
}
