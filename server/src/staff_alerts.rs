//! Work for moderators — new requests, replies, new candidates — written
//! as alerts in the same transaction as the event. A digest worker turns
//! the alerts since each moderator's last digest into one message on the
//! channel they chose, so a busy day is a few messages, not a flood.

use std::time::Duration;

use findkin_app::i18n::{t, tf, Lang};
use findkin_store::staff_alerts::{self, AlertSeen};

use crate::store::{clock, Store, Writer};

use crate::auth::{can, Action, Role};
use crate::http::staff::words;
use crate::notify;
use crate::Error;

pub use findkin_store::staff_alerts::{raise, AlertKind};

// ------------------------------------------------------------------ digests

/// How often the digest worker looks for news (at most; a short window in
/// tests makes it look more often).
pub const TICK: Duration = Duration::from_secs(30);

/// Alerts since a moderator's last digest, counted per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new_requests: i64,
    pub replies: i64,
    pub candidates: i64,
}

impl Counts {
    pub fn total(&self) -> i64 {
        self.new_requests + self.replies + self.candidates
    }

    fn add(&mut self, kind: &str) {
        match kind {
            "new_request" => self.new_requests += 1,
            "reply" => self.replies += 1,
            "candidate" => self.candidates += 1,
            _ => {}
        }
    }

    /// "2 новых запроса, 1 ответ, 3 новых кандидата": only the kinds there are.
    pub fn words(&self, lang: Lang) -> String {
        [
            (AlertKind::NewRequest, self.new_requests),
            (AlertKind::Reply, self.replies),
            (AlertKind::Candidate, self.candidates),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| count_words(lang, k, n))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// "1 новый запрос", "2 новых запроса", "5 новых запросов".
pub fn count_words(lang: Lang, kind: AlertKind, n: i64) -> String {
    let key = format!("staff.digest.{}.{}", kind.as_str(), words::plural(lang, n));
    tf(lang, &key, &[("n", &n.to_string())])
}

/// One digest: the subject (email only) and the text. Counts, how long
/// the oldest news has waited and links into the console — never a name
/// or anything else from a request: the channel may be read by others,
/// the console is behind the second factor.
pub fn digest_text(lang: Lang, role: Role, counts: Counts, oldest_secs: i64, origin: &str) -> (String, String) {
    let what = counts.words(lang);
    let subject = tf(lang, "staff.digest.subject", &[("counts", &what)]);
    let line = |key: &str, path: &str| tf(lang, key, &[("link", &format!("{origin}{path}"))]);
    let mut body = vec![
        tf(lang, "staff.digest.lead", &[("counts", &what)]),
        tf(lang, "staff.digest.oldest", &[("age", &words::age(lang, oldest_secs.max(0)))]),
        String::new(),
    ];
    if can(role, Action::ModerateRequests) {
        if counts.new_requests > 0 {
            body.push(line("staff.digest.link.unclaimed", "/staff/requests?view=unclaimed"));
        }
        if counts.replies > 0 {
            body.push(line("staff.digest.link.new_reply", "/staff/requests?view=new_reply"));
        }
        body.push(line("staff.digest.link.queue", "/staff/requests"));
    } else if can(role, Action::ManageClaims) {
        body.push(line("staff.digest.link.claims", "/staff/claims"));
        body.push(line("staff.digest.link.dashboard", "/staff"));
    } else {
        body.push(line("staff.digest.link.dashboard", "/staff"));
    }
    body.push(String::new());
    body.push(t(lang, "staff.digest.privacy"));
    body.push(line("staff.digest.link.settings", "/staff/notifications"));
    (subject, body.join("\n"))
}

/// Sends every moderator and admin who asked for it one digest of the
/// alerts since their last one, if there are any and their last digest is
/// at least `window_secs` old; returns how many digests were queued.
///
/// Each digest is queued in the outbox ([`notify::enqueue`]) in the same
/// transaction that moves the moderator's `alerts_sent_upto` and
/// `alerts_sent_at`, so an alert is counted exactly once whatever fails: a
/// channel that is down only delays the message (the outbox retries), it
/// never loses or repeats it. Alerts about requests the moderator has
/// acted on since (a step or a message of theirs) are left out; if that
/// leaves nothing, nothing is sent and the next digest is not delayed.
pub async fn send_digests(store: &Store, now: i64, window_secs: i64, origin: &str) -> Result<usize, Error> {
    let due = store.digests_due(now, window_secs).await?;
    let mut sent = 0;
    for user in due {
        if digest_one(store, user, now, window_secs, origin).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// One moderator's digest, decided and queued in one transaction (the
/// conditions are read again inside it: settings may have changed).
async fn digest_one(store: &Store, user: i64, now: i64, window_secs: i64, origin: &str) -> Result<bool, Error> {
    let mut tx = store.begin(Writer::Service).await?;
    let Some(target) = staff_alerts::digest_target(&mut tx, user, now, window_secs).await? else { return Ok(false) };
    let role = Role::parse(&target.role).unwrap_or(Role::Moderator);
    let channel = target.notify_channel;
    let recipient = match channel.as_str() {
        "email" => target.notify_email.filter(|e| !e.trim().is_empty()),
        "telegram" => target.notify_chat_id.map(|c| c.to_string()),
        _ => None,
    };
    let Some(recipient) = recipient else { return Ok(false) };
    // Per alert, when this moderator last stepped or wrote on its request.
    let raw = staff_alerts::alerts_since(&mut tx, &target.name, target.alerts_sent_upto).await?;
    let alerts: Vec<(i64, String, i64, bool)> = raw
        .into_iter()
        .map(|AlertSeen { id, kind, at, acted, wrote }| {
            let since = clock::of_unix(at);
            let handled = acted.is_some_and(|t| t >= since) || wrote.is_some_and(|t| t >= since);
            (id, kind, at, handled)
        })
        .collect();
    let Some(last) = alerts.last().map(|a| a.0) else { return Ok(false) };
    let mut counts = Counts::default();
    let mut oldest = now;
    for (_, kind, at, handled) in &alerts {
        if !handled {
            counts.add(kind);
            oldest = oldest.min(*at);
        }
    }
    if counts.total() == 0 {
        // All handled already: nothing to say, and the next news is not held back.
        staff_alerts::advance_digest(&mut tx, user, last, None).await?;
        tx.commit().await?;
        return Ok(false);
    }
    // Users have no language of their own yet: the console's first language.
    let lang = Lang::Ru;
    let (subject, body) = digest_text(lang, role, counts, now - oldest, origin);
    let (channel, subject) = if channel == "telegram" {
        (notify::Channel::Telegram, String::new())
    } else {
        (notify::Channel::Email, subject)
    };
    let m = notify::Message { request_id: None, channel, recipient, subject, body, fresh_link: false };
    notify::enqueue(&mut tx, &m, now).await?;
    staff_alerts::advance_digest(&mut tx, user, last, Some(now)).await?;
    tx.commit().await?;
    tracing::info!(user_id = user, alerts = counts.total(), "staff digest queued");
    Ok(true)
}

/// Runs [`send_digests`] every [`TICK`] (more often for a window shorter
/// than a few ticks) until the pool is closed or the handle aborted; errors
/// are logged, never fatal. Links point at `origin` (the public address).
pub fn spawn_digest_worker(store: Store, window: Duration, origin: String) -> tokio::task::JoinHandle<()> {
    let every = (window / 5).clamp(Duration::from_secs(1), TICK);
    let window_secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if store.pool.is_closed() {
                tracing::info!("staff digest worker stopping: database pool closed");
                return;
            }
            if let Err(error) = send_digests(&store, crate::users::now(), window_secs, &origin).await {
                tracing::error!(%error, "staff digest round failed");
            }
        }
    })
}

// ----------------------------------------------------------------- settings

pub use findkin_store::staff_alerts::{code_hash, Setting, Settings, LINK_CODE_SECONDS};

/// An address digests can reach: a valid address whose domain has a dot
/// (`mail.ru`, not `mail`), as the request form wants it.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Some("staff.notify.error.email_missing");
    }
    if email.chars().count() > 200 || email.parse::<lettre::Address>().is_err() {
        return Some("staff.notify.error.email");
    }
    let dotted =
        email.rsplit_once('@').is_some_and(|(_, d)| d.split('.').count() >= 2 && d.split('.').all(|l| !l.is_empty()));
    (!dotted).then_some("staff.notify.error.email_domain")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use sqlx::Row;

    const ORIGIN: &str = "https://findkin.example";
    const WINDOW: i64 = 15 * 60;
    const T0: i64 = 1_800_000_000;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        (dir, store)
    }

    async fn user(store: &Store, name: &str, role: Role) -> i64 {
        store.add_user(name, role).await.expect("user");
        store.account_by_name(name).await.expect("read").expect("exists").user.id
    }

    /// A request whose sought person must never appear in a digest.
    async fn request(store: &Store, n: i64) -> i64 {
        sqlx::query(
            "INSERT INTO contact_requests (reference, body_hash, state, language, requester_name, relationship, \
             email, sought_name) VALUES ($1, 'h', 'submitted', 'ru', 'Мать Иванова', 'мать', 'mother@example.org', \
             'Секретов Тайна Скрытович') RETURNING id",
        )
        .bind(format!("FK-TEST-{n}"))
        .fetch_one(&store.pool)
        .await
        .map(|r: sqlx::any::AnyRow| r.get(0))
        .expect("request")
    }

    async fn alert(store: &Store, kind: AlertKind, request: i64, at: i64) {
        sqlx::query("INSERT INTO staff_alerts (kind, request_id, at) VALUES ($1, $2, $3)")
            .bind(kind.as_str())
            .bind(request)
            .bind(at)
            .execute(&store.pool)
            .await
            .expect("alert");
    }

    /// (channel, recipient, subject, body) of every queued message, oldest first.
    async fn outbox(store: &Store) -> Vec<(String, String, String, String)> {
        sqlx::query_as("SELECT channel, recipient, subject, body FROM notifications ORDER BY id")
            .fetch_all(&store.pool)
            .await
            .expect("outbox")
    }

    async fn email_on(store: &Store, id: i64, address: &str) {
        store.set_notify(id, &Setting::Email(address.into())).await.expect("on");
    }

    #[tokio::test]
    async fn many_alerts_make_one_digest_and_later_ones_wait_for_the_window() {
        let (_dir, store) = store().await;
        let m = user(&store, "m1", Role::Moderator).await;
        email_on(&store, m, "m1@example.org").await;
        let r = requests(&store, 6).await;
        // The first news after a quiet spell goes out at the next tick, all of it in one message.
        alert(&store, AlertKind::NewRequest, r[0], T0).await;
        alert(&store, AlertKind::NewRequest, r[1], T0 + 1).await;
        alert(&store, AlertKind::Reply, r[2], T0 + 2).await;
        alert(&store, AlertKind::Candidate, r[3], T0 + 3).await;
        alert(&store, AlertKind::Candidate, r[4], T0 + 3).await;
        alert(&store, AlertKind::Candidate, r[5], T0 + 4).await;
        assert_eq!(send_digests(&store, T0 + 30, WINDOW, ORIGIN).await.expect("digest"), 1);
        let out = outbox(&store).await;
        assert_eq!(out.len(), 1, "one message for six alerts");
        let (channel, to, subject, body) = &out[0];
        assert_eq!((channel.as_str(), to.as_str()), ("email", "m1@example.org"));
        assert!(subject.contains("2 новых запроса, 1 ответ, 3 новых кандидата"), "{subject}");
        assert!(body.contains("2 новых запроса, 1 ответ, 3 новых кандидата"), "{body}");
        assert!(body.contains("Дольше всех ждёт: меньше часа"), "{body}");
        assert!(body.contains("https://findkin.example/staff/requests?view=unclaimed"), "{body}");
        assert!(body.contains("https://findkin.example/staff/requests?view=new_reply"), "{body}");
        assert!(body.contains("https://findkin.example/staff/requests\n"), "{body}");
        for secret in ["Секретов", "Тайна", "Мать", "mother@", "FK-TEST"] {
            assert!(!body.contains(secret) && !subject.contains(secret), "{secret} leaked: {body}");
        }
        // Nothing new: nothing sent.
        assert_eq!(send_digests(&store, T0 + 60, WINDOW, ORIGIN).await.expect("quiet"), 0);
        // News within the window waits for it, then goes out as one digest.
        alert(&store, AlertKind::Reply, r[0], T0 + 100).await;
        alert(&store, AlertKind::Reply, r[1], T0 + 200).await;
        assert_eq!(send_digests(&store, T0 + 300, WINDOW, ORIGIN).await.expect("held"), 0);
        assert_eq!(send_digests(&store, T0 + 30 + WINDOW - 1, WINDOW, ORIGIN).await.expect("held"), 0);
        assert_eq!(send_digests(&store, T0 + 30 + WINDOW, WINDOW, ORIGIN).await.expect("due"), 1);
        let out = outbox(&store).await;
        assert_eq!(out.len(), 2);
        assert!(out[1].3.starts_with("С прошлой сводки: 2 ответа."), "{}", out[1].3);
        assert!(!out[1].3.contains("view=unclaimed"), "no link to what did not happen: {}", out[1].3);
        let (upto, at): (i64, i64) = sqlx::query_as("SELECT alerts_sent_upto, alerts_sent_at FROM users WHERE id = $1")
            .bind(m)
            .fetch_one(&store.pool)
            .await
            .expect("user");
        assert_eq!((upto, at), (8, T0 + 30 + WINDOW), "moved with the digest");
    }

    async fn requests(store: &Store, n: i64) -> Vec<i64> {
        let mut out = Vec::new();
        for i in 0..n {
            out.push(request(store, i).await);
        }
        out
    }

    #[tokio::test]
    async fn turning_notifications_on_never_sends_the_history() {
        let (_dir, store) = store().await;
        let m = user(&store, "m1", Role::Moderator).await;
        let r = request(&store, 1).await;
        for i in 0..5 {
            alert(&store, AlertKind::NewRequest, r, T0 + i).await;
        }
        email_on(&store, m, "m1@example.org").await;
        assert_eq!(send_digests(&store, T0 + 10, WINDOW, ORIGIN).await.expect("digest"), 0);
        assert!(outbox(&store).await.is_empty());
        alert(&store, AlertKind::Reply, r, T0 + 20).await;
        assert_eq!(send_digests(&store, T0 + 30, WINDOW, ORIGIN).await.expect("digest"), 1);
        let out = outbox(&store).await;
        assert!(out[0].3.starts_with("С прошлой сводки: 1 ответ."), "only the news: {}", out[0].3);
        // Switching from email to Telegram is not "turning on": nothing is skipped or resent.
        alert(&store, AlertKind::Reply, r, T0 + 40).await;
        store.set_notify(m, &Setting::Telegram(-100_123)).await.expect("telegram");
        assert_eq!(send_digests(&store, T0 + 30 + WINDOW, WINDOW, ORIGIN).await.expect("digest"), 1);
        let out = outbox(&store).await;
        assert_eq!((out[1].0.as_str(), out[1].1.as_str(), out[1].2.as_str()), ("telegram", "-100123", ""));
        assert!(out[1].3.contains("1 ответ"), "{}", out[1].3);
        // Off, news, on again: the news while off is not sent either.
        store.set_notify(m, &Setting::Off).await.expect("off");
        alert(&store, AlertKind::Reply, r, T0 + 5000).await;
        email_on(&store, m, "m1@example.org").await;
        assert_eq!(send_digests(&store, T0 + 9000, WINDOW, ORIGIN).await.expect("digest"), 0);
    }

    #[tokio::test]
    async fn disabled_editors_and_unreachable_staff_get_nothing() {
        let (_dir, store) = store().await;
        let gone = user(&store, "gone", Role::Moderator).await;
        let editor = user(&store, "ed", Role::Editor).await;
        let admin = user(&store, "boss", Role::Admin).await;
        let quiet = user(&store, "quiet", Role::Moderator).await;
        let nochat = user(&store, "nochat", Role::Moderator).await;
        for (id, addr) in [(gone, "gone@example.org"), (editor, "ed@example.org"), (admin, "boss@example.org")] {
            email_on(&store, id, addr).await;
        }
        // Telegram chosen without a chat (the bot never linked one): no recipient.
        sqlx::query("UPDATE users SET notify_channel = 'telegram' WHERE id = $1")
            .bind(nochat)
            .execute(&store.pool)
            .await
            .expect("telegram without chat");
        store.disable_user("gone").await.expect("disable");
        let r = request(&store, 1).await;
        alert(&store, AlertKind::NewRequest, r, T0).await;
        assert_eq!(send_digests(&store, T0 + 30, WINDOW, ORIGIN).await.expect("digest"), 1);
        let out = outbox(&store).await;
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].1, "boss@example.org", "only the admin, with links an admin can open");
        assert!(out[0].3.contains("https://findkin.example/staff/claims"), "{}", out[0].3);
        assert!(!out[0].3.contains("/staff/requests"), "{}", out[0].3);
        let _ = quiet;
    }

    #[tokio::test]
    async fn news_the_moderator_already_handled_is_left_out() {
        let (_dir, store) = store().await;
        let m = user(&store, "m1", Role::Moderator).await;
        email_on(&store, m, "m1@example.org").await;
        let (a, b) = (request(&store, 1).await, request(&store, 2).await);
        alert(&store, AlertKind::Reply, a, T0).await;
        assert_eq!(send_digests(&store, T0 + 1, WINDOW, ORIGIN).await.expect("first"), 1);
        alert(&store, AlertKind::Reply, a, T0 + 10).await;
        alert(&store, AlertKind::Reply, b, T0 + 10).await;
        // m1 answers on request a after its reply came.
        sqlx::query("INSERT INTO request_events (request_id, at, actor, step, from_state, to_state) VALUES ($1, $2, 'm1', 'ask', 'in_review', 'needs_info')")
            .bind(a)
            .bind("2027-01-15T08:05:00.000Z")
            .execute(&store.pool)
            .await
            .expect("event");
        assert_eq!(send_digests(&store, T0 + WINDOW + 1, WINDOW, ORIGIN).await.expect("second"), 1);
        let out = outbox(&store).await;
        assert!(out[1].3.starts_with("С прошлой сводки: 1 ответ."), "{}", out[1].3);
    }

    #[test]
    fn counts_in_words_with_their_plurals() {
        let c = |a, b, d| Counts { new_requests: a, replies: b, candidates: d };
        assert_eq!(c(2, 1, 3).words(Lang::Ru), "2 новых запроса, 1 ответ, 3 новых кандидата");
        assert_eq!(c(1, 0, 0).words(Lang::Ru), "1 новый запрос");
        assert_eq!(c(5, 11, 21).words(Lang::Ru), "5 новых запросов, 11 ответов, 21 новый кандидат");
        assert_eq!(c(22, 0, 0).words(Lang::Ru), "22 новых запроса");
        assert_eq!(c(2, 5, 1).words(Lang::Uk), "2 нові запити, 5 відповідей, 1 новий кандидат");
        assert_eq!(c(1, 2, 0).words(Lang::En), "1 new request, 2 replies");
        for lang in Lang::ALL {
            for kind in AlertKind::ALL {
                for form in ["one", "few", "many"] {
                    let key = format!("staff.digest.{}.{form}", kind.as_str());
                    assert!(findkin_app::i18n::has_key(&key), "{key}");
                    assert!(!t(lang, &key).contains("staff."), "{key} in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn addresses_need_a_dotted_domain() {
        assert_eq!(email_problem("m1@example.org"), None);
        assert_eq!(email_problem(" m1@mail.ru "), None);
        assert_eq!(email_problem(""), Some("staff.notify.error.email_missing"));
        assert_eq!(email_problem("m1@mail"), Some("staff.notify.error.email_domain"));
        assert_eq!(email_problem("m1@mail."), Some("staff.notify.error.email"));
        assert_eq!(email_problem("not an address"), Some("staff.notify.error.email"));
    }

    #[tokio::test]
    async fn link_codes_are_stored_as_hashes_and_expire() {
        let (_dir, store) = store().await;
        let m = user(&store, "m1", Role::Moderator).await;
        let code = store.issue_telegram_code(m, T0).await.expect("code");
        assert!(code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
        let (hash, expires): (String, i64) =
            sqlx::query_as("SELECT telegram_link_hash, telegram_link_expires FROM users WHERE id = $1")
                .bind(m)
                .fetch_one(&store.pool)
                .await
                .expect("row");
        assert_eq!(hash, hex::encode(Sha256::digest(code.as_bytes())));
        assert!(!hash.contains(&code));
        assert_eq!(expires, T0 + 30 * 60);
        assert!(store.notify_settings(m, T0 + 60).await.expect("s").code_pending);
        assert!(!store.notify_settings(m, T0 + 31 * 60).await.expect("s").code_pending);
        assert_ne!(store.issue_telegram_code(m, T0).await.expect("again"), code, "a new code each time");
    }
}
