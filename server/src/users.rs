//! Staff accounts in the database: creation, lookup, lockout, second factor.

use sqlx::Row;

use crate::store::Writer;

use crate::auth::{password, Role, StaffUser};
use crate::store::Store;
use crate::Error;

/// Wrong second-factor codes in a row before the account's second factor
/// locks. Only someone who already has the password can cause them, so a
/// stranger cannot use this to lock anyone out; wrong passwords are
/// throttled per address instead (`auth::throttle`).
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

pub use crate::store::clock::unix_now as now;

fn account(row: &sqlx::any::AnyRow) -> Result<Account, Error> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        user: StaffUser {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role)
                .ok_or_else(|| crate::store::StoreError::Corrupt(format!("unknown role {role:?}")))?,
        },
        password_hash: row.try_get("password_hash")?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        totp_secret: row.try_get("totp_secret")?,
        totp_enrolled: row.try_get::<i64, _>("totp_enrolled")? != 0,
        totp_last_step: row.try_get("totp_last_step")?,
        failed_attempts: row.try_get("failed_attempts")?,
        locked_until: row.try_get("locked_until")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

/// Names are short handles: letters, digits, dot, dash, underscore.
pub fn valid_name(name: &str) -> bool {
    (2..=40).contains(&name.chars().count())
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Store {
    /// Creates an account with a one-time password (returned) that must be
    /// changed at first sign-in.
    pub async fn add_user(&self, name: &str, role: Role) -> Result<String, Error> {
        if !valid_name(name) {
            return Err(Error::Refused(format!("invalid user name {name:?}: 2–40 letters, digits, '.', '-' or '_'")));
        }
        if self.account_by_name(name).await?.is_some() {
            return Err(Error::Refused(format!("user {name:?} already exists")));
        }
        let one_time = password::generate_one_time();
        let hash = password::hash(&one_time).map_err(Error::PasswordHash)?;
        sqlx::query("INSERT INTO users (name, role, password_hash, must_change_password) VALUES ($1, $2, $3, 1)")
            .bind(name)
            .bind(role.as_str())
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(one_time)
    }

    /// A ready-to-use demo account: known password, enrolled second factor.
    pub async fn add_demo_user(
        &self,
        name: &str,
        role: Role,
        password_text: &str,
        totp_secret: &str,
    ) -> Result<(), Error> {
        let hash = password::hash(password_text).map_err(Error::PasswordHash)?;
        sqlx::query(
            "INSERT INTO users (name, role, password_hash, must_change_password, totp_secret, totp_enrolled)
             VALUES ($1, $2, $3, 0, $4, 1)",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(hash)
        .bind(totp_secret)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Disables an account and ends all its sessions at once.
    /// Disables an account: its sessions end and the requests it held for
    /// review go back to the queue, in one transaction. Returns how many
    /// requests were released.
    pub async fn disable_user(&self, name: &str) -> Result<u64, Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let id: Option<i64> = sqlx::query_scalar("UPDATE users SET disabled = 1 WHERE name = $1 RETURNING id")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            return Err(Error::Refused(format!("no user named {name:?}")));
        };
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        let released = Store::release_claims_in(&mut tx, id, "system").await?;
        tx.commit().await?;
        Ok(released)
    }

    pub async fn account_by_name(&self, name: &str) -> Result<Option<Account>, Error> {
        let row = sqlx::query("SELECT * FROM users WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(account).transpose()
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, Error> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(account).transpose()
    }

    /// Counts a wrong second-factor code at time `t` ([`after_failure`]).
    /// Returns the failures so far and the time the lock ends (0: none).
    pub async fn record_failure(&self, id: i64, t: i64) -> Result<(i64, i64), Error> {
        // IMMEDIATE: read and write the count under one lock, so parallel
        // failures are all counted.
        let mut tx = self.begin(Writer::Service).await?;
        let row = sqlx::query("SELECT failed_attempts, locked_until FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let (failures, locked_until) = after_failure(row.try_get("failed_attempts")?, row.try_get("locked_until")?, t);
        sqlx::query("UPDATE users SET failed_attempts = $1, locked_until = $2 WHERE id = $3")
            .bind(failures)
            .bind(locked_until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((failures, locked_until))
    }

    pub async fn clear_failures(&self, id: i64) -> Result<(), Error> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = 0 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_password(&self, id: i64, new_password: &str) -> Result<(), Error> {
        let hash = password::hash(new_password).map_err(Error::PasswordHash)?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a secret being enrolled (not yet confirmed by a code).
    pub async fn set_pending_totp(&self, id: i64, secret: &str) -> Result<(), Error> {
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enrolled = 0 WHERE id = $2 AND totp_enrolled = 0")
            .bind(secret)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Accepts a TOTP step only if it is newer than the last one accepted,
    /// atomically, so two requests racing with one code cannot both pass.
    pub async fn accept_totp_step(&self, id: i64, step: i64) -> Result<bool, Error> {
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
    pub async fn active_moderators(&self) -> Result<Vec<(i64, String)>, Error> {
        let rows = sqlx::query("SELECT id, name FROM users WHERE role = 'moderator' AND disabled = 0 ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?))).collect()
    }

    pub async fn count_users(&self) -> Result<i64, Error> {
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
}
