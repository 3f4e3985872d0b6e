//! Work for moderators as stored: alerts raised in the transaction of
//! their event, each staff member's digest channel and progress, and
//! Telegram link codes. The server's `staff_alerts` writes the digests.

use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::{clock, Conn, Store, StoreError, Writer};

/// What happened that a moderator should look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    NewRequest,
    Reply,
    Candidate,
}

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [AlertKind::NewRequest, AlertKind::Reply, AlertKind::Candidate];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NewRequest => "new_request",
            AlertKind::Reply => "reply",
            AlertKind::Candidate => "candidate",
        }
    }
}

/// Records an alert inside the caller's transaction.
pub async fn raise(tx: &mut Conn, kind: AlertKind, request_id: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO staff_alerts (kind, request_id, at) VALUES ($1, $2, $3)")
        .bind(kind.as_str())
        .bind(request_id)
        .bind(clock::unix_now())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// An alert, with when the moderator last stepped or wrote on its request.
#[derive(Debug, FromRow)]
pub struct AlertSeen {
    pub id: i64,
    pub kind: String,
    pub at: i64,
    pub acted: Option<String>,
    pub wrote: Option<String>,
}

/// Whom a digest goes to, read again inside its transaction.
#[derive(Debug, FromRow)]
pub struct DigestTarget {
    pub name: String,
    pub role: String,
    pub notify_channel: String,
    pub notify_email: Option<String>,
    pub notify_chat_id: Option<i64>,
    pub alerts_sent_upto: i64,
}

/// A staff member's notification columns: channel, email, chat, link code
/// hash and its expiry.
type SettingsRow = (String, Option<String>, Option<i64>, Option<String>, Option<i64>);

impl Store {
    /// Staff members with news since their last digest whose last digest is
    /// at least `window_secs` old at `now`, by id.
    pub async fn digests_due(&self, now: i64, window_secs: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM users \
             WHERE disabled = 0 AND role IN ('moderator', 'admin') AND notify_channel <> 'none' \
               AND alerts_sent_upto < (SELECT COALESCE(MAX(id), 0) FROM staff_alerts) \
               AND $1 - alerts_sent_at >= $2 \
             ORDER BY id",
        )
        .bind(now)
        .bind(window_secs)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The digest's recipient if a digest to `user` is still due.
pub async fn digest_target(
    tx: &mut Conn,
    user: i64,
    now: i64,
    window_secs: i64,
) -> Result<Option<DigestTarget>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, role, notify_channel, notify_email, notify_chat_id, alerts_sent_upto FROM users \
         WHERE id = $1 AND disabled = 0 AND role IN ('moderator', 'admin') AND notify_channel <> 'none' \
           AND $2 - alerts_sent_at >= $3",
    )
    .bind(user)
    .bind(now)
    .bind(window_secs)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The alerts after `upto`, each with when staff member `name` last
/// stepped or wrote on its request.
pub async fn alerts_since(tx: &mut Conn, name: &str, upto: i64) -> Result<Vec<AlertSeen>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.kind, a.at, \
           (SELECT MAX(e.at) FROM request_events e WHERE e.request_id = a.request_id AND e.actor = $1) AS acted, \
           (SELECT MAX(m.at) FROM request_messages m WHERE m.request_id = a.request_id AND m.from_staff = 1 \
              AND m.author = $1) AS wrote \
         FROM staff_alerts a WHERE a.id > $2 ORDER BY a.id",
    )
    .bind(name)
    .bind(upto)
    .fetch_all(&mut *tx)
    .await?)
}

/// Moves a staff member's digest cursor to alert `last`, and the time of
/// the last digest to `sent_at` when one was queued.
pub async fn advance_digest(tx: &mut Conn, user: i64, last: i64, sent_at: Option<i64>) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET alerts_sent_upto = $1, alerts_sent_at = COALESCE($2, alerts_sent_at) WHERE id = $3")
        .bind(last)
        .bind(sent_at)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The channel a staff member chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    Off,
    Email(String),
    /// The chat the bot linked (or an operator set).
    Telegram(i64),
}

impl Setting {
    pub fn channel(&self) -> &'static str {
        match self {
            Setting::Off => "none",
            Setting::Email(_) => "email",
            Setting::Telegram(_) => "telegram",
        }
    }
}

/// What the settings page shows.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `none`, `email` or `telegram`.
    pub channel: String,
    pub email: Option<String>,
    /// The linked Telegram chat, if any.
    pub chat_id: Option<i64>,
    /// A link code is waiting to be sent to the bot (not expired).
    pub code_pending: bool,
}

/// How long a Telegram link code is valid.
pub const LINK_CODE_SECONDS: i64 = 30 * 60;

impl Store {
    pub async fn notify_settings(&self, user: i64, now: i64) -> Result<Settings, StoreError> {
        let (channel, email, chat_id, hash, expires): SettingsRow = sqlx::query_as(
            "SELECT notify_channel, notify_email, notify_chat_id, telegram_link_hash, telegram_link_expires \
             FROM users WHERE id = $1",
        )
        .bind(user)
        .fetch_one(&self.pool)
        .await?;
        Ok(Settings { channel, email, chat_id, code_pending: hash.is_some() && expires.is_some_and(|e| e > now) })
    }

    /// Sets how a staff member hears of new work. Switching on from off
    /// starts after the newest alert: the history is never sent. An email
    /// address is stored as given (check it with [`email_problem`]); the
    /// address or chat stays stored when notifications are turned off.
    pub async fn set_notify(&self, user: i64, setting: &Setting) -> Result<(), StoreError> {
        let mut tx = self.begin(Writer::Service).await?;
        sqlx::query(
            "UPDATE users SET \
               alerts_sent_upto = CASE WHEN notify_channel = 'none' AND $1 <> 'none' \
                 THEN (SELECT COALESCE(MAX(id), 0) FROM staff_alerts) ELSE alerts_sent_upto END, \
               notify_channel = $1, \
               notify_email = COALESCE($2, notify_email), \
               notify_chat_id = COALESCE($3, notify_chat_id) \
             WHERE id = $4",
        )
        .bind(setting.channel())
        .bind(match setting {
            Setting::Email(e) => Some(e.trim().to_string()),
            _ => None,
        })
        .bind(match setting {
            Setting::Telegram(c) => Some(*c),
            _ => None,
        })
        .bind(user)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new one-time code to link a Telegram chat (`/staff CODE` to the
    /// bot): only its SHA-256 is stored, valid [`LINK_CODE_SECONDS`]; a
    /// newer code replaces an older one. If notifications are off, what
    /// happened before today's code is never sent once the bot links the chat.
    pub async fn issue_telegram_code(&self, user: i64, now: i64) -> Result<String, StoreError> {
        let code = link_code();
        sqlx::query(
            "UPDATE users SET telegram_link_hash = $1, telegram_link_expires = $2, \
               alerts_sent_upto = CASE WHEN notify_channel = 'none' \
                 THEN (SELECT COALESCE(MAX(id), 0) FROM staff_alerts) ELSE alerts_sent_upto END \
             WHERE id = $3",
        )
        .bind(code_hash(&code))
        .bind(now + LINK_CODE_SECONDS)
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(code)
    }

    /// Forgets the linked chat (and a pending code); Telegram digests stop.
    pub async fn unlink_telegram(&self, user: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET notify_chat_id = NULL, telegram_link_hash = NULL, telegram_link_expires = NULL, \
               notify_channel = CASE WHEN notify_channel = 'telegram' THEN 'none' ELSE notify_channel END \
             WHERE id = $1",
        )
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Ten characters from an alphabet without look-alikes (no 0/O, 1/I/L):
/// about 50 bits, easy to type into a chat.
fn link_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..10).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// What `telegram_link_hash` stores: SHA-256 of the code, hex.
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().as_bytes()))
}
