//! Staff sessions, stored in the database (any replica can serve them).
//! The cookie holds a random token; the table holds its SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::clock::unix_now as now;
use crate::staff::{Role, StaffUser};
use crate::{Store, StoreError};

pub const COOKIE: &str = "findkin_staff";
/// Signed out after this long without a request.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// Signed out this long after signing in, however active.
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;
/// Time allowed between the password and the second factor.
pub const SECOND_FACTOR_SECONDS: i64 = 10 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password checked; second factor (or password change, enrolment) pending.
    Password,
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Password => "password",
            Stage::Full => "full",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub user: StaffUser,
    pub stage: Stage,
    pub csrf: String,
}

/// A session joined with its account, as read on every staff request.
#[derive(FromRow)]
struct SessionRow {
    stage: String,
    csrf_token: String,
    created_at: i64,
    last_seen: i64,
    id: i64,
    name: String,
    role: String,
    disabled: i64,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Starts a session; returns the cookie token (shown once, never stored).
    pub async fn create_session(&self, user_id: i64, stage: Stage) -> Result<String, StoreError> {
        let token = random_hex(32);
        let t = now();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, stage, csrf_token, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(hash_token(&token))
            .bind(user_id)
            .bind(stage.as_str())
            .bind(random_hex(16))
            .bind(t)
            .bind(t)
            .execute(&self.pool)
            .await?;
        Ok(token)
    }

    /// The live session for a cookie token. Expired sessions, and sessions
    /// of disabled accounts, are deleted and yield `None`.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        self.session_at(token, now()).await
    }

    /// [`Store::session`] as seen at time `t` (tests pass their own clock).
    pub async fn session_at(&self, token: &str, t: i64) -> Result<Option<Session>, StoreError> {
        let token_hash = hash_token(token);
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.stage, s.csrf_token, s.created_at, s.last_seen, u.id, u.name, u.role, u.disabled
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(&token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stage = if row.stage == "full" { Stage::Full } else { Stage::Password };
        let lifetime = if stage == Stage::Full { ABSOLUTE_SECONDS } else { SECOND_FACTOR_SECONDS };
        let role = Role::parse(&row.role);
        let expired = t - row.last_seen > IDLE_SECONDS || t - row.created_at > lifetime;
        let (Some(role), false, false) = (role, expired, row.disabled != 0) else {
            self.end_session(&token_hash).await?;
            return Ok(None);
        };
        if t - row.last_seen >= 30 {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(t)
                .bind(&token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session {
            token_hash,
            user: StaffUser { id: row.id, name: row.name, role },
            stage,
            csrf: row.csrf_token,
        }))
    }

    /// Deletes every session that has expired by time `t`, above all the
    /// password-stage ones nobody came back to finish, which would
    /// otherwise pile up.
    pub async fn purge_expired_sessions(&self, t: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2
                OR (stage = 'password' AND created_at < $3)",
        )
        .bind(t - IDLE_SECONDS)
        .bind(t - ABSOLUTE_SECONDS)
        .bind(t - SECOND_FACTOR_SECONDS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Ends a user's other sessions (after a password change: whoever knew
    /// the old password is signed out).
    pub async fn end_other_sessions(&self, user_id: i64, keep_token_hash: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_token_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::Role;
    use crate::users::NewAccount;

    #[tokio::test]
    async fn sessions_expire_when_idle_or_old_and_end_with_the_account() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        store.insert_user(&account("ann", Role::Editor)).await.expect("user");
        let id = store.account_by_name("ann").await.expect("q").expect("ann").user.id;
        let token = store.create_session(id, Stage::Full).await.expect("session");
        assert_eq!(store.session(&token).await.expect("q").map(|s| s.user.name), Some("ann".into()));
        assert!(store.session("not-a-token").await.expect("q").is_none());

        sqlx::query("UPDATE sessions SET last_seen = last_seen - $1")
            .bind(IDLE_SECONDS + 1)
            .execute(&store.pool)
            .await
            .expect("age");
        assert!(store.session(&token).await.expect("q").is_none(), "idle timeout");

        let token = store.create_session(id, Stage::Full).await.expect("session");
        sqlx::query("UPDATE sessions SET created_at = created_at - $1")
            .bind(ABSOLUTE_SECONDS + 1)
            .execute(&store.pool)
            .await
            .expect("age");
        assert!(store.session(&token).await.expect("q").is_none(), "absolute timeout, however active");

        let token = store.create_session(id, Stage::Password).await.expect("session");
        sqlx::query("UPDATE sessions SET created_at = created_at - $1")
            .bind(SECOND_FACTOR_SECONDS + 1)
            .execute(&store.pool)
            .await
            .expect("age");
        assert!(store.session(&token).await.expect("q").is_none(), "second factor must follow soon");

        let token = store.create_session(id, Stage::Full).await.expect("session");
        let other = store.create_session(id, Stage::Full).await.expect("session");
        let kept = store.session(&token).await.expect("q").expect("live").token_hash;
        assert_eq!(store.end_other_sessions(id, &kept).await.expect("end"), 1);
        assert!(store.session(&other).await.expect("q").is_none(), "the other session ended");
        let mut tx = store.begin(crate::Writer::Service).await.expect("tx");
        Store::disable_user_in(&mut tx, "ann").await.expect("disable");
        tx.commit().await.expect("commit");
        assert!(store.session(&token).await.expect("q").is_none(), "disabled account");
    }

    fn account(name: &str, role: Role) -> NewAccount<'_> {
        NewAccount { name, role, password_hash: "h", must_change_password: false, totp_secret: None }
    }

    async fn sessions_in_table(store: &Store) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&store.pool).await.expect("count")
    }

    #[tokio::test]
    async fn unfinished_password_stage_sessions_expire_and_are_purged() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        store.insert_user(&account("bob", Role::Moderator)).await.expect("user");
        let id = store.account_by_name("bob").await.expect("q").expect("bob").user.id;
        let t0 = now();
        let pending = store.create_session(id, Stage::Password).await.expect("session");
        let full = store.create_session(id, Stage::Full).await.expect("session");
        // Kept alive by requests, the password stage still ends after its short limit.
        for minute in 1..10 {
            assert!(store.session_at(&pending, t0 + minute * 60).await.expect("q").is_some(), "{minute} min");
        }
        let late = t0 + SECOND_FACTOR_SECONDS + 1;
        assert!(store.session_at(&pending, late).await.expect("q").is_none(), "stale password stage");
        assert!(store.session_at(&full, late).await.expect("q").is_some(), "a full session lives on");

        // Abandoned ones are deleted without anyone coming back.
        for _ in 0..3 {
            store.create_session(id, Stage::Password).await.expect("session");
        }
        assert_eq!(store.purge_expired_sessions(t0 + 60).await.expect("purge"), 0, "fresh ones stay");
        assert_eq!(store.purge_expired_sessions(t0 + SECOND_FACTOR_SECONDS + 61).await.expect("purge"), 3);
        assert_eq!(sessions_in_table(&store).await, 1, "only the full session is left");
        store.purge_expired_sessions(t0 + ABSOLUTE_SECONDS + 61).await.expect("purge");
        assert_eq!(sessions_in_table(&store).await, 0, "old full sessions go too");
    }
}
