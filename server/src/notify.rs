//! Notification outbox for contact requests.
//!
//! Every state change a relative can see queues a message with [`enqueue`]
//! *inside the same transaction* as the change, so the two are stored (or
//! rolled back) together. Sending happens later, outside any request, in
//! [`deliver_due`] (usually driven by [`spawn_worker`]): a failed send only
//! reschedules the row with exponential backoff and never touches, blocks or
//! loses the state change. Rows are never deleted, so the table doubles as a
//! record of what was sent and what gave up.
//!
//! Each channel has a [`Courier`] that only sends ([`EmailCourier`] here,
//! `telegram::courier::TelegramCourier` for chats); claiming, backoff,
//! giving up and fresh status links are shared ([`deliver_due_via`]).
//!
//! Privacy: recipients and bodies are personal data. Logs carry notification
//! ids and counts only; error texts (which may echo an address back from an
//! SMTP server) go into the `last_error` column, never into the log.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use findkin_store::outbox::{self, Due, Flag};
use findkin_store::StoreError;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::AnyPool;

pub use findkin_store::outbox::{enqueue, mint_status_token, Channel, Message};

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Writes each message as a `.eml` file (RFC 5322 text, UTF-8) into a directory — the default for local use.
    File { dir: PathBuf },
    /// SMTP with STARTTLS (or plain on localhost), from a URL like `smtp://user:pass@host:587` (lettre's `AsyncSmtpTransport::from_url`).
    Smtp { url: String, from: String },
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Db(#[from] StoreError),
    #[error("could not send: {0}")]
    Send(String),
    #[error("bad configuration: {0}")]
    Config(String),
}

/// After this many failed tries a message is given up on (kept, marked failed).
const MAX_ATTEMPTS: i64 = 12;
/// `next_try_at` of a message that was given up on: 9999-12-31T23:59:59Z.
/// Far enough to never be due, small enough that date arithmetic and
/// conversions elsewhere cannot overflow (unlike `i64::MAX`).
const NEVER: i64 = 253_402_300_799;
/// How many rows one `deliver_due` call handles, so one call stays bounded.
const BATCH_LIMIT: i64 = 100;
/// A row is claimed for this long while it is being sent. Prevents two
/// concurrent `deliver_due` calls from sending it twice, and lets it be
/// retried if the process dies mid-send.
const CLAIM_SECONDS: i64 = 15 * 60;
/// First backoff delay and cap, in seconds.
const BACKOFF_BASE: i64 = 30;
const BACKOFF_CAP: i64 = 6 * 60 * 60;
/// An unreachable or stalled SMTP server must not hold a batch for long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// `last_error` is for humans; a server dumping pages of text is cut.
const MAX_ERROR_CHARS: usize = 1000;
/// Sender of file-transport messages (nothing is really sent there).
const FILE_FROM: &str = "findkin <noreply@localhost>";

/// The backoff delay in seconds after `attempts` failed tries (1-based).
///
/// 30 s, 1 min, 2 min, … doubling, capped at 6 h. Values below 1 are
/// treated as 1; large values cannot overflow.
pub fn backoff_seconds(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 64) - 1;
    // 30 * 2^10 already exceeds the cap, so stop shifting before overflow.
    if doublings >= 10 {
        return BACKOFF_CAP;
    }
    (BACKOFF_BASE << doublings).min(BACKOFF_CAP)
}

/// A transport resolved once per batch: configuration errors surface before
/// any row is touched, so a misconfiguration never burns retry attempts.
enum Sender {
    File { dir: PathBuf, from: Mailbox },
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
}

impl Sender {
    fn new(transport: &Transport) -> Result<Self, NotifyError> {
        match transport {
            Transport::File { dir } => {
                let from = FILE_FROM
                    .parse::<Mailbox>()
                    .map_err(|e| NotifyError::Config(format!("file sender address: {e}")))?;
                Ok(Sender::File { dir: dir.clone(), from })
            }
            Transport::Smtp { url, from } => {
                let from = from
                    .parse::<Mailbox>()
                    .map_err(|e| NotifyError::Config(format!("invalid SMTP from address: {e}")))?;
                let url = smtp_url_with_tls(url);
                // The URL carries credentials: never echo it in an error.
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| NotifyError::Config(format!("invalid SMTP URL: {e}")))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Sender::Smtp { transport, from })
            }
        }
    }

    fn from(&self) -> &Mailbox {
        match self {
            Sender::File { from, .. } | Sender::Smtp { from, .. } => from,
        }
    }

    async fn send(&self, id: i64, email: &lettre::Message) -> Result<(), NotifyError> {
        let bytes = email.formatted();
        match self {
            Sender::File { dir, .. } => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || write_atomically(&dir, id, &bytes))
                    .await
                    .map_err(|e| NotifyError::Send(format!("file writer task failed: {e}")))?
                    .map_err(|e| NotifyError::Send(format!("could not write .eml file: {e}")))
            }
            Sender::Smtp { transport, .. } => transport
                .send_raw(email.envelope(), &bytes)
                .await
                .map(|_| ())
                .map_err(|e| NotifyError::Send(e.to_string())),
        }
    }
}

/// lettre reads `smtp://host:587` without a `tls` parameter as *plain* SMTP,
/// which would send credentials and personal data in clear text. Require
/// STARTTLS unless the URL says otherwise or the host is this machine.
fn smtp_url_with_tls(url: &str) -> String {
    let Some(rest) = url.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("smtp://")).map(|_| &url[7..]) else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    if query.is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("tls"))) {
        return url.to_owned();
    }
    let authority = before_query.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let loopback = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        url.to_owned()
    } else if query.is_some() {
        format!("{url}&tls=required")
    } else {
        format!("{url}?tls=required")
    }
}

/// Writes `{id:08}.eml` via a hidden temp file and a rename, so a reader
/// (or a crash) never sees half a message. The temp name is hidden and does
/// not end in `.eml`, so tools picking up `*.eml` ignore it.
fn write_atomically(dir: &Path, id: i64, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let final_path = dir.join(format!("{id:08}.eml"));
    let tmp_path = dir.join(format!(".{id:08}.eml.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp_path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp_path, &final_path)
    })();
    if result.is_err() {
        // Best effort: the write already failed, a leftover temp is harmless.
        let _ = std::fs::remove_file(&tmp_path);
    }
    result
}

/// Builds the RFC 5322 message. `Err` means the row itself is unusable
/// (bad recipient), which no retry can fix.
fn build_email(
    sender: &Sender,
    id: i64,
    recipient: &str,
    subject: &str,
    body: &str,
    created_at: i64,
) -> Result<lettre::Message, String> {
    let to = recipient.parse::<Mailbox>().map_err(|e| format!("invalid recipient address: {e}"))?;
    let from = sender.from().clone();
    // Stable across retries, so a duplicate (sent, but marking it failed)
    // can be recognised downstream.
    let message_id = format!("<notification-{id}.{created_at}@{}>", from.email.domain());
    // Date is when the state change happened, not when the send succeeded.
    let date = UNIX_EPOCH + Duration::from_secs(u64::try_from(created_at).unwrap_or(0));
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .date(date)
        .message_id(Some(message_id))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(body.to_owned()))
        .map_err(|e| format!("could not build message: {e}"))
}

/// Keeps `last_error` readable and bounded, cutting on a char boundary.
fn truncate_error(mut error: String) -> String {
    if let Some((cut, _)) = error.char_indices().nth(MAX_ERROR_CHARS) {
        error.truncate(cut);
        error.push('…');
    }
    error
}

/// One outbox row, as a courier sees it: the body already carries a fresh
/// status link when the row asked for one.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub request_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// When the state change happened (unix seconds).
    pub created_at: i64,
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later, with backoff (network, a busy server).
    Retry(String),
    /// No retry can help (a bad address, a chat that blocked the bot).
    Permanent(String),
}

/// One channel's way out of the outbox. The claim, backoff, give-up and
/// fresh-link logic is shared ([`deliver_due_via`]); a courier only sends.
#[async_trait::async_trait]
pub trait Courier: Send + Sync {
    /// The rows this courier takes.
    fn channel(&self) -> Channel;
    /// Sends one message.
    async fn deliver(&self, m: &Outgoing) -> Result<(), Failure>;
}

/// Email: `.eml` files or SMTP.
pub struct EmailCourier {
    sender: Sender,
}

impl EmailCourier {
    /// Resolves the transport; a bad configuration is an error here, before any row is touched.
    pub fn new(transport: &Transport) -> Result<EmailCourier, NotifyError> {
        Ok(EmailCourier { sender: Sender::new(transport)? })
    }
}

#[async_trait::async_trait]
impl Courier for EmailCourier {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn deliver(&self, m: &Outgoing) -> Result<(), Failure> {
        let email = build_email(&self.sender, m.id, &m.recipient, &m.subject, &m.body, m.created_at)
            .map_err(Failure::Permanent)?;
        self.sender.send(m.id, &email).await.map_err(|e| Failure::Retry(e.to_string()))
    }
}

/// Tries every due message once; returns (sent, failed). A failure records the error and schedules the next try with exponential backoff (30 s, 1 min, 2 min, … capped at 6 h, with the attempt count); after 12 attempts the message stays in the table marked failed (next_try_at far in the future) and is logged at error level. Never deletes anything.
///
/// Handles at most 100 rows per call, oldest first. Each row is claimed
/// before it is sent, so concurrent calls never send the same row twice.
/// An invalid recipient is a permanent failure (attempts set to the maximum
/// at once). A bad transport configuration returns [`NotifyError::Config`]
/// without touching any row.
pub async fn deliver_due(pool: &AnyPool, transport: &Transport, now_unix: i64) -> Result<(usize, usize), NotifyError> {
    let courier = EmailCourier::new(transport)?;
    deliver_due_via(pool, &courier, None, now_unix).await
}

/// [`deliver_due`] for any channel: the rows of `courier`'s channel. A row
/// with `fresh_link` gets a newly minted status link, under `link_base`
/// (the public address, e.g. `https://findkin.example`), appended at send
/// time; the link is revoked again if the send fails.
pub async fn deliver_due_via(
    pool: &AnyPool,
    courier: &dyn Courier,
    link_base: Option<&str>,
    now_unix: i64,
) -> Result<(usize, usize), NotifyError> {
    let rows = outbox::due(pool, courier.channel(), now_unix, BATCH_LIMIT).await?;

    let (mut sent, mut failed) = (0usize, 0usize);
    for Due { id, request_id, recipient, subject, mut body, created_at, attempts, fresh_link: Flag(fresh_link) } in rows
    {
        if !outbox::claim(pool, id, now_unix, now_unix.saturating_add(CLAIM_SECONDS)).await? {
            // Another delivery run took it between our select and now.
            continue;
        }

        let mut minted = None;
        if fresh_link {
            let minted_now = match request_id {
                Some(rid) => mint_status_token(pool, rid).await?,
                None => None,
            };
            let Some((reference, token, hash)) = minted_now else {
                let error = "no request to link to".to_string();
                record_failure(pool, id, MAX_ATTEMPTS.max(attempts + 1), error, now_unix).await?;
                failed += 1;
                continue;
            };
            let base = link_base.unwrap_or("http://localhost").trim_end_matches('/');
            body.push_str(&format!("\n\n{base}/status/{reference}?t={token}"));
            minted = Some(hash);
        }

        let m = Outgoing { id, request_id, recipient, subject, body, created_at };
        let outcome = courier.deliver(&m).await;
        if outcome.is_err() {
            if let Some(hash) = &minted {
                // The link never left: it opens nothing.
                outbox::revoke_token(pool, hash).await?;
            }
        }
        match outcome {
            Ok(()) => {
                outbox::mark_sent(pool, id, now_unix).await?;
                tracing::debug!(notification_id = id, channel = courier.channel().as_str(), "notification sent");
                sent += 1;
            }
            Err(Failure::Permanent(error)) => {
                record_failure(pool, id, MAX_ATTEMPTS.max(attempts + 1), error, now_unix).await?;
                failed += 1;
            }
            Err(Failure::Retry(error)) => {
                record_failure(pool, id, attempts.saturating_add(1), error, now_unix).await?;
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}

/// Stores a failed try: the error, the new attempt count and when to try
/// again (never, once the attempts are used up).
async fn record_failure(
    pool: &AnyPool,
    id: i64,
    attempts: i64,
    error: String,
    now_unix: i64,
) -> Result<(), NotifyError> {
    let given_up = attempts >= MAX_ATTEMPTS;
    let next_try_at = if given_up { NEVER } else { now_unix.saturating_add(backoff_seconds(attempts)) };
    outbox::mark_failed(pool, id, attempts, &truncate_error(error), next_try_at).await?;
    if given_up {
        tracing::error!(
            notification_id = id,
            attempts,
            "notification failed permanently; kept in the outbox, see last_error"
        );
    } else {
        tracing::warn!(notification_id = id, attempts, next_try_at, "notification send failed; will retry");
    }
    Ok(())
}

/// Runs `deliver_due` every `every` until the returned handle is dropped or aborted (a tokio task); errors are logged, never fatal.
///
/// Note that tokio *detaches* a task whose `JoinHandle` is dropped rather
/// than stopping it; to stop the worker call `abort()` on the handle or
/// close the pool (the worker exits once it sees the pool closed). A full
/// batch is followed at once by another, so a backlog drains without
/// waiting for the next tick. A zero `every` is treated as one second.
pub fn spawn_worker(pool: AnyPool, transport: Transport, every: Duration) -> tokio::task::JoinHandle<()> {
    match EmailCourier::new(&transport) {
        Ok(courier) => spawn_courier(pool, std::sync::Arc::new(courier), None, every),
        Err(error) => tokio::spawn(async move {
            tracing::error!(%error, "notification worker not started");
        }),
    }
}

/// [`spawn_worker`] for any courier: its channel's rows, with fresh status
/// links under `link_base`.
pub fn spawn_courier(
    pool: AnyPool,
    courier: std::sync::Arc<dyn Courier>,
    link_base: Option<String>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    let every = if every.is_zero() { Duration::from_secs(1) } else { every };
    tokio::spawn(async move {
        let channel = courier.channel().as_str();
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            loop {
                if pool.is_closed() {
                    tracing::info!(channel, "notification worker stopping: database pool closed");
                    return;
                }
                match deliver_due_via(&pool, courier.as_ref(), link_base.as_deref(), crate::store::clock::unix_now())
                    .await
                {
                    Ok((sent, failed)) => {
                        if sent + failed > 0 {
                            tracing::info!(channel, sent, failed, "notification delivery round");
                        }
                        if i64::try_from(sent + failed).unwrap_or(i64::MAX) < BATCH_LIMIT {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::error!(channel, %error, "notification delivery round failed");
                        break;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER,
    channel     TEXT NOT NULL,            -- 'email' (others later)
    recipient   TEXT NOT NULL,            -- an email address
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,         -- unix seconds
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER NOT NULL,         -- unix seconds
    sent_at     INTEGER,
    last_error  TEXT,
    fresh_link  INTEGER NOT NULL DEFAULT 0
);";

    const NOW: i64 = 1_700_000_000;

    struct Db {
        pool: AnyPool,
        _dir: tempfile::TempDir,
    }

    async fn db() -> Db {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
        sqlx::query(SCHEMA).execute(&pool).await.unwrap();
        Db { pool, _dir: dir }
    }

    fn msg(recipient: &str, subject: &str, body: &str) -> Message {
        Message {
            request_id: Some(7),
            channel: Channel::Email,
            recipient: recipient.into(),
            subject: subject.into(),
            body: body.into(),
            fresh_link: false,
        }
    }

    async fn enqueue_committed(pool: &AnyPool, m: &Message, now: i64) -> i64 {
        let mut tx = pool.begin().await.unwrap();
        let id = enqueue(&mut tx, m, now).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    #[derive(Debug)]
    struct Row {
        attempts: i64,
        next_try_at: i64,
        sent_at: Option<i64>,
        last_error: Option<String>,
    }

    async fn row(pool: &AnyPool, id: i64) -> Row {
        let (attempts, next_try_at, sent_at, last_error): (i64, i64, Option<i64>, Option<String>) =
            sqlx::query_as("SELECT attempts, next_try_at, sent_at, last_error FROM notifications WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
        Row { attempts, next_try_at, sent_at, last_error }
    }

    async fn count(pool: &AnyPool) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications").fetch_one(pool).await.unwrap()
    }

    /// An SMTP URL whose port is certainly closed: bind, note, drop.
    fn closed_port_smtp() -> Transport {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        Transport::Smtp {
            url: format!("smtp://user:secret@127.0.0.1:{port}"),
            from: "findkin <noreply@findkin.example>".into(),
        }
    }

    // --- a small RFC 5322 / MIME reader, enough to check what lettre wrote ---

    fn b64_decode(s: &str) -> Vec<u8> {
        let val = |c: u8| match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 byte {c}"),
        };
        let clean: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').map(val).collect();
        let mut out = Vec::new();
        for chunk in clean.chunks(4) {
            let mut n = 0u32;
            for (i, v) in chunk.iter().enumerate() {
                n |= u32::from(*v) << (18 - 6 * i);
            }
            let bytes = n.to_be_bytes();
            out.extend_from_slice(&bytes[1..chunk.len()]);
        }
        out
    }

    fn qp_decode(s: &str, underscore_is_space: bool) -> Vec<u8> {
        let s = s.replace("=\r\n", "");
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else if underscore_is_space && b[i] == b'_' {
                out.push(b' ');
                i += 1;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    /// Decodes RFC 2047 encoded-words; whitespace between two encoded-words
    /// is dropped, as the RFC says.
    fn decode_header(value: &str) -> String {
        let mut out: Vec<u8> = Vec::new();
        let mut prev_encoded = false;
        for (i, word) in value.split_whitespace().enumerate() {
            let encoded = word.starts_with("=?") && word.ends_with("?=") && word.matches('?').count() == 4;
            if i > 0 && !(encoded && prev_encoded) {
                out.push(b' ');
            }
            if encoded {
                let parts: Vec<&str> = word[2..word.len() - 2].split('?').collect();
                assert!(parts[0].eq_ignore_ascii_case("utf-8"), "charset {}", parts[0]);
                match parts[1] {
                    "B" | "b" => out.extend(b64_decode(parts[2])),
                    "Q" | "q" => out.extend(qp_decode(parts[2], true)),
                    other => panic!("unknown encoding {other}"),
                }
            } else {
                out.extend_from_slice(word.as_bytes());
            }
            prev_encoded = encoded;
        }
        String::from_utf8(out).unwrap()
    }

    struct Parsed {
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Parsed {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }

    fn parse_eml(raw: &str) -> Parsed {
        let (head, body) = raw.split_once("\r\n\r\n").expect("header/body separator");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            assert!(line.is_ascii(), "non-ASCII header line: {line}");
            assert!(line.len() <= 998, "header line too long");
            if line.starts_with(' ') || line.starts_with('\t') {
                headers.last_mut().expect("continuation").1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("header colon");
                headers.push((name.to_owned(), value.trim_start().to_owned()));
            }
        }
        let parsed = Parsed { headers, body: String::new() };
        let cte = parsed.header("Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
        let body = match cte.as_str() {
            "base64" => String::from_utf8(b64_decode(body)).unwrap(),
            "quoted-printable" => String::from_utf8(qp_decode(body, false)).unwrap(),
            _ => body.to_owned(),
        };
        Parsed { body, ..parsed }
    }

    // --- tests ---

    #[tokio::test]
    async fn enqueue_in_rolled_back_transaction_leaves_nothing() {
        let db = db().await;
        let mut tx = db.pool.begin().await.unwrap();
        let id = enqueue(&mut tx, &msg("a@example.com", "s", "b"), NOW).await.unwrap();
        assert!(id > 0);
        tx.rollback().await.unwrap();
        assert_eq!(count(&db.pool).await, 0);

        // Control: the same thing committed is stored, due immediately.
        let id = enqueue_committed(&db.pool, &msg("a@example.com", "s", "b"), NOW).await;
        assert_eq!(count(&db.pool).await, 1);
        let r = row(&db.pool, id).await;
        assert_eq!((r.attempts, r.next_try_at, r.sent_at), (0, NOW, None));
    }

    #[tokio::test]
    async fn file_transport_writes_parseable_eml_and_marks_sent() {
        let db = db().await;
        let out = tempfile::tempdir().unwrap();
        let transport = Transport::File { dir: out.path().join("outbox") };
        let subject = "Запрос на контакт: Иван Петров ответил";
        let body = "Здравствуйте!\nВаш родственник принял запрос.\n\nЛиния с точкой:\n.\nEnd — ok ✓";
        let id = enqueue_committed(&db.pool, &msg("Мария <maria@example.com>", subject, body), NOW).await;

        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (1, 0));

        let path = out.path().join("outbox").join(format!("{id:08}.eml"));
        let raw = std::fs::read_to_string(&path).unwrap();
        let eml = parse_eml(&raw);
        assert_eq!(decode_header(eml.header("From").unwrap()), "findkin <noreply@localhost>");
        assert!(eml.header("To").unwrap().contains("<maria@example.com>"));
        assert_eq!(decode_header(eml.header("To").unwrap()), "Мария <maria@example.com>");
        let raw_subject = eml.header("Subject").unwrap();
        assert!(raw_subject.to_ascii_lowercase().contains("=?utf-8?"), "{raw_subject}");
        assert_eq!(decode_header(raw_subject), subject);
        assert!(eml.header("Date").unwrap().contains("2023"), "Date is created_at");
        assert_eq!(
            eml.header("Content-Type").unwrap().to_ascii_lowercase().replace(' ', ""),
            "text/plain;charset=utf-8"
        );
        assert_eq!(eml.header("MIME-Version"), Some("1.0"));
        assert!(eml.header("Message-ID").unwrap().contains(&format!("notification-{id}.")));
        assert_eq!(eml.body.replace("\r\n", "\n").trim_end(), body);

        // Only the final file is left behind, no temp files.
        let names: Vec<_> =
            std::fs::read_dir(out.path().join("outbox")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");

        let r = row(&db.pool, id).await;
        assert_eq!(r.sent_at, Some(NOW));
        assert_eq!(r.attempts, 0);
        assert_eq!(r.last_error, None);

        assert_eq!(deliver_due(&db.pool, &transport, NOW + 10_000).await.unwrap(), (0, 0));
        assert_eq!(count(&db.pool).await, 1, "sent rows are kept");
    }

    #[tokio::test]
    async fn subject_cannot_inject_headers() {
        let db = db().await;
        let out = tempfile::tempdir().unwrap();
        let transport = Transport::File { dir: out.path().to_path_buf() };
        let id = enqueue_committed(&db.pool, &msg("a@example.com", "Hello\r\nBcc: evil@example.com", "x"), NOW).await;
        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (1, 0));
        let raw = std::fs::read_to_string(out.path().join(format!("{id:08}.eml"))).unwrap();
        let eml = parse_eml(&raw);
        assert_eq!(eml.header("Bcc"), None, "{raw}");
    }

    #[tokio::test]
    async fn smtp_to_closed_port_fails_and_backs_off() {
        let db = db().await;
        let transport = closed_port_smtp();
        let id = enqueue_committed(&db.pool, &msg("a@example.com", "s", "b"), NOW).await;

        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (0, 1));
        let r = row(&db.pool, id).await;
        assert_eq!(r.attempts, 1);
        assert_eq!(r.sent_at, None);
        assert_eq!(r.next_try_at, NOW + backoff_seconds(1));
        assert_eq!(r.next_try_at, NOW + 30);
        let err = r.last_error.unwrap();
        assert!(!err.is_empty());
        assert!(!err.contains("secret"), "credentials leaked into last_error: {err}");

        // Not due again before the backoff has passed.
        assert_eq!(deliver_due(&db.pool, &transport, NOW + 29).await.unwrap(), (0, 0));
        // Second failure doubles the delay.
        assert_eq!(deliver_due(&db.pool, &transport, NOW + 30).await.unwrap(), (0, 1));
        let r = row(&db.pool, id).await;
        assert_eq!(r.attempts, 2);
        assert_eq!(r.next_try_at, NOW + 30 + 60);
    }

    #[tokio::test]
    async fn last_attempt_marks_failed_for_good() {
        let db = db().await;
        let transport = closed_port_smtp();
        let id = enqueue_committed(&db.pool, &msg("a@example.com", "s", "b"), NOW).await;
        sqlx::query("UPDATE notifications SET attempts = $1 WHERE id = $2")
            .bind(MAX_ATTEMPTS - 1)
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (0, 1));
        let r = row(&db.pool, id).await;
        assert_eq!(r.attempts, MAX_ATTEMPTS);
        assert_eq!(r.next_try_at, NEVER);
        assert!(r.last_error.is_some());
        assert_eq!(deliver_due(&db.pool, &transport, NOW + 365 * 86_400).await.unwrap(), (0, 0));
        assert_eq!(count(&db.pool).await, 1, "failed rows are kept");
    }

    #[tokio::test]
    async fn messages_not_yet_due_are_skipped() {
        let db = db().await;
        let out = tempfile::tempdir().unwrap();
        let transport = Transport::File { dir: out.path().to_path_buf() };
        let due = enqueue_committed(&db.pool, &msg("a@example.com", "due", "b"), NOW).await;
        let later = enqueue_committed(&db.pool, &msg("b@example.com", "later", "b"), NOW + 100).await;

        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (1, 0));
        assert_eq!(row(&db.pool, due).await.sent_at, Some(NOW));
        let r = row(&db.pool, later).await;
        assert_eq!((r.sent_at, r.attempts, r.next_try_at), (None, 0, NOW + 100));
        assert!(!out.path().join(format!("{later:08}.eml")).exists());

        assert_eq!(deliver_due(&db.pool, &transport, NOW + 100).await.unwrap(), (1, 0));
        assert_eq!(row(&db.pool, later).await.sent_at, Some(NOW + 100));
    }

    #[tokio::test]
    async fn other_channels_are_left_alone() {
        let db = db().await;
        let out = tempfile::tempdir().unwrap();
        sqlx::query(
            "INSERT INTO notifications (channel, recipient, subject, body, created_at, next_try_at) \
             VALUES ('sms', '+100', 's', 'b', $1, $2)",
        )
        .bind(NOW)
        .bind(NOW)
        .execute(&db.pool)
        .await
        .unwrap();
        let transport = Transport::File { dir: out.path().to_path_buf() };
        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (0, 0));
    }

    #[test]
    fn backoff_sequence_and_cap() {
        let seq: Vec<i64> = (1..=12).map(backoff_seconds).collect();
        assert_eq!(seq, [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]);
        assert_eq!(backoff_seconds(0), 30);
        assert_eq!(backoff_seconds(-5), 30);
        assert_eq!(backoff_seconds(1000), 6 * 3600);
        assert_eq!(backoff_seconds(i64::MAX), 6 * 3600);
    }

    #[tokio::test]
    async fn invalid_recipient_is_a_permanent_failure() {
        let db = db().await;
        let out = tempfile::tempdir().unwrap();
        let transport = Transport::File { dir: out.path().to_path_buf() };
        let bad = enqueue_committed(&db.pool, &msg("not an address", "s", "b"), NOW).await;
        let good = enqueue_committed(&db.pool, &msg("ok@example.com", "s", "b"), NOW).await;

        assert_eq!(deliver_due(&db.pool, &transport, NOW).await.unwrap(), (1, 1));
        let r = row(&db.pool, bad).await;
        assert_eq!(r.attempts, MAX_ATTEMPTS);
        assert_eq!(r.sent_at, None);
        assert_eq!(r.next_try_at, NEVER);
        assert!(r.last_error.unwrap().contains("invalid recipient"));
        assert!(!out.path().join(format!("{bad:08}.eml")).exists());
        assert_eq!(row(&db.pool, good).await.sent_at, Some(NOW));

        assert_eq!(deliver_due(&db.pool, &transport, NOW + 86_400).await.unwrap(), (0, 0));
    }

    #[tokio::test]
    async fn bad_configuration_touches_no_row() {
        let db = db().await;
        let id = enqueue_committed(&db.pool, &msg("a@example.com", "s", "b"), NOW).await;
        let bad_from = Transport::Smtp { url: "smtp://localhost:2525".into(), from: "nope".into() };
        assert!(matches!(deliver_due(&db.pool, &bad_from, NOW).await, Err(NotifyError::Config(_))));
        let bad_url = Transport::Smtp { url: "ftp://user:secret@host".into(), from: "a@example.com".into() };
        match deliver_due(&db.pool, &bad_url, NOW).await {
            Err(NotifyError::Config(e)) => assert!(!e.contains("secret"), "{e}"),
            other => panic!("expected config error, got {other:?}"),
        }
        let r = row(&db.pool, id).await;
        assert_eq!((r.attempts, r.next_try_at, r.last_error), (0, NOW, None));
    }

    #[test]
    fn remote_smtp_requires_starttls() {
        assert_eq!(
            smtp_url_with_tls("smtp://u:p@mail.example.com:587"),
            "smtp://u:p@mail.example.com:587?tls=required"
        );
        assert_eq!(
            smtp_url_with_tls("smtp://mail.example.com:587/helo.example?x=1"),
            "smtp://mail.example.com:587/helo.example?x=1&tls=required"
        );
        for unchanged in [
            "smtp://u:p@localhost:25",
            "smtp://127.0.0.1:2525",
            "smtp://[::1]:25",
            "smtp://mail.example.com:587?tls=opportunistic",
            "smtps://u:p@mail.example.com",
        ] {
            assert_eq!(smtp_url_with_tls(unchanged), unchanged);
        }
        // A remote URL must build a transport (TLS support compiled in).
        assert!(Sender::new(&Transport::Smtp {
            url: "smtp://u:p@mail.example.com:587".into(),
            from: "a@example.com".into(),
        })
        .is_ok());
    }

    #[tokio::test]
    async fn worker_delivers_and_stops_when_pool_closes() {
        let db = db().await;
        let out = tempfile::tempdir().unwrap();
        let transport = Transport::File { dir: out.path().to_path_buf() };
        let id = enqueue_committed(&db.pool, &msg("a@example.com", "s", "b"), crate::store::clock::unix_now()).await;
        let handle = spawn_worker(db.pool.clone(), transport, Duration::from_millis(50));
        let file = out.path().join(format!("{id:08}.eml"));
        for _ in 0..100 {
            if row(&db.pool, id).await.sent_at.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(row(&db.pool, id).await.sent_at.is_some());
        assert!(file.exists());

        db.pool.close().await;
        tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .expect("worker stops after the pool is closed")
            .unwrap();
    }
}
