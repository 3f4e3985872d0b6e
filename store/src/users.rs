//! Staff accounts as stored: lookup, second-factor state and its lockout.
//! Password hashing and name rules live with the server's account logic;
//! this module stores what it is given.

use sqlx::FromRow;

use crate::staff::{Role, StaffUser};
use crate::{Store, StoreError, Tx, Writer};

/// Wrong second-factor codes in a row before the account's second factor
/// locks. Only someone who already has the password can cause them, so a
/// stranger cannot use this to lock anyone out; wrong passwords are
/// throttled per address instead (`sessions`' neighbour `throttle`).
pub const LOCK_AFTER: i64 = 5;
/// How long the second factor stays locked, in seconds.
pub const LOCK_SECONDS: i64 = 15 * 60;

/// The failure count and lock after one more failure at time `t`. Once a
/// lock has run out the count starts again, so a single failure after it
/// does not lock the account anew.
pub fn after_failure(failures: i64, locked_until: i64, t: i64) -> (i64, i64) {
    let lock_expired = locked_until != 0 && locked_until <= t;
    let failures = if lock_expired { 1 } else { failures + 1 };
    let locked_until = if failures >= LOCK_AFTER {
        t + LOCK_SECONDS
    } else if lock_expired {
        0
    } else {
        locked_until
    };
    (failures, locked_until)
}

/// A staff account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: StaffUser,
    pub password_hash: String,
    pub must_change_password: bool,
    pub totp_secret: Option<String>,
    pub totp_enrolled: bool,
    pub totp_last_step: i64,
    pub failed_attempts: i64,
    pub locked_until: i64,
    pub disabled: bool,
}

/// A `users` row as the database returns it (flags are 0/1 integers on both
/// backends).
#[derive(FromRow)]
struct AccountRow {
    id: i64,
    name: String,
    role: String,
    password_hash: String,
    must_change_password: i64,
    totp_secret: Option<String>,
    totp_enrolled: i64,
    totp_last_step: i64,
    failed_attempts: i64,
    locked_until: i64,
    disabled: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        let role = Role::parse(&r.role).ok_or_else(|| StoreError::Corrupt(format!("unknown role {:?}", r.role)))?;
        Ok(Account {
            user: StaffUser { id: r.id, name: r.name, role },
            password_hash: r.password_hash,
            must_change_password: r.must_change_password != 0,
            totp_secret: r.totp_secret,
            totp_enrolled: r.totp_enrolled != 0,
            totp_last_step: r.totp_last_step,
            failed_attempts: r.failed_attempts,
            locked_until: r.locked_until,
            disabled: r.disabled != 0,
        })
    }
}

const ACCOUNT: &str = "SELECT id, name, role, password_hash, must_change_password, totp_secret, totp_enrolled, \
     totp_last_step, failed_attempts, locked_until, disabled FROM users";

/// A new account's stored fields.
pub struct NewAccount<'a> {
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub must_change_password: bool,
    /// An enrolled second factor (demo accounts); `None` enrols at first sign-in.
    pub totp_secret: Option<&'a str>,
}

impl Store {
    /// Stores a new account; a taken name is [`StoreError::Duplicate`].
    pub async fn insert_user(&self, a: &NewAccount<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (name, role, password_hash, must_change_password, totp_secret, totp_enrolled)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.name)
        .bind(a.role.as_str())
        .bind(a.password_hash)
        .bind(i64::from(a.must_change_password))
        .bind(a.totp_secret)
        .bind(i64::from(a.totp_secret.is_some()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks an account disabled and ends its sessions inside `tx`; its id,
    /// or `None` when no account has that name.
    pub async fn disable_user_in(tx: &mut Tx, name: &str) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("UPDATE users SET disabled = 1 WHERE name = $1 RETURNING id")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(id) = id {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut **tx).await?;
        }
        Ok(id)
    }

    pub async fn account_by_name(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> =
            sqlx::query_as(&format!("{ACCOUNT} WHERE name = $1")).bind(name).fetch_optional(&self.pool).await?;
        row.map(Account::try_from).transpose()
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> =
            sqlx::query_as(&format!("{ACCOUNT} WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.map(Account::try_from).transpose()
    }

    /// Counts a wrong second-factor code at time `t` ([`after_failure`]).
    /// Returns the failures so far and the time the lock ends (0: none).
    pub async fn record_failure(&self, id: i64, t: i64) -> Result<(i64, i64), StoreError> {
        // One write transaction: read and write the count under one lock,
        // so parallel failures are all counted.
        let mut tx = self.begin(Writer::Service).await?;
        let (failures, locked_until): (i64, i64) =
            sqlx::query_as("SELECT failed_attempts, locked_until FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let (failures, locked_until) = after_failure(failures, locked_until, t);
        sqlx::query("UPDATE users SET failed_attempts = $1, locked_until = $2 WHERE id = $3")
            .bind(failures)
            .bind(locked_until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((failures, locked_until))
    }

    pub async fn clear_failures(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = 0 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a new password hash and lifts the must-change flag.
    pub async fn set_password_hash(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a secret being enrolled (not yet confirmed by a code).
    pub async fn set_pending_totp(&self, id: i64, secret: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enrolled = 0 WHERE id = $2 AND totp_enrolled = 0")
            .bind(secret)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Accepts a TOTP step only if it is newer than the last one accepted,
    /// atomically, so two requests racing with one code cannot both pass.
    pub async fn accept_totp_step(&self, id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1, totp_enrolled = 1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Enabled moderators as (id, name): whom a request can be handed to.
    pub async fn active_moderators(&self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT id, name FROM users WHERE role = 'moderator' AND disabled = 0 ORDER BY name")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_that_ran_out_is_not_renewed_by_one_failure() {
        let t = 1_800_000_000;
        let mut state = (0, 0);
        for _ in 0..LOCK_AFTER {
            state = after_failure(state.0, state.1, t);
        }
        assert_eq!(state, (LOCK_AFTER, t + LOCK_SECONDS), "locked after the limit");
        let later = t + LOCK_SECONDS + 1;
        assert_eq!(after_failure(state.0, state.1, later), (1, 0), "counting starts again");
        assert_eq!(after_failure(2, 0, t), (3, 0));
    }

    #[tokio::test]
    async fn an_account_reads_back_as_stored_and_a_taken_name_is_a_duplicate() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let new = NewAccount {
            name: "ann",
            role: Role::Moderator,
            password_hash: "h",
            must_change_password: false,
            totp_secret: Some("S"),
        };
        store.insert_user(&new).await.expect("insert");
        let a = store.account_by_name("ann").await.expect("q").expect("ann");
        assert_eq!((a.user.role, a.totp_enrolled, a.must_change_password), (Role::Moderator, true, false));
        assert_eq!(store.account_by_id(a.user.id).await.expect("q").map(|b| b.user.name), Some("ann".into()));
        let again = store.insert_user(&new).await.expect_err("second ann");
        assert!(matches!(again, StoreError::Duplicate { .. }), "{again:?}");
        assert_eq!(store.active_moderators().await.expect("q"), vec![(a.user.id, "ann".to_string())]);
    }
}
