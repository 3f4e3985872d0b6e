//! Staff accounts in the database: creation, lookup, lockout, second factor.

use sqlx::Row;

use crate::auth::{password, Role, StaffUser};
use crate::store::Store;
use crate::Error;

/// Consecutive failures before an account locks.
pub const LOCK_AFTER: i64 = 5;
/// How long a locked account stays locked, in seconds.
pub const LOCK_SECONDS: i64 = 15 * 60;

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

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn account(row: &sqlx::sqlite::SqliteRow) -> Result<Account, Error> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        user: StaffUser {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role).ok_or_else(|| Error::Config(format!("unknown role {role:?} in the database")))?,
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
            return Err(Error::Config(format!("invalid user name {name:?}: 2–40 letters, digits, '.', '-' or '_'")));
        }
        if self.account_by_name(name).await?.is_some() {
            return Err(Error::Config(format!("user {name:?} already exists")));
        }
        let one_time = password::generate_one_time();
        let hash = password::hash(&one_time).map_err(Error::Config)?;
        sqlx::query("INSERT INTO users (name, role, password_hash, must_change_password) VALUES (?, ?, ?, 1)")
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
        let hash = password::hash(password_text).map_err(Error::Config)?;
        sqlx::query(
            "INSERT INTO users (name, role, password_hash, must_change_password, totp_secret, totp_enrolled)
             VALUES (?, ?, ?, 0, ?, 1)",
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
    pub async fn disable_user(&self, name: &str) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar("UPDATE users SET disabled = 1 WHERE name = ? RETURNING id")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(id) = id else {
            return Err(Error::Config(format!("no user named {name:?}")));
        };
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn account_by_name(&self, name: &str) -> Result<Option<Account>, Error> {
        let row = sqlx::query("SELECT * FROM users WHERE name = ?").bind(name).fetch_optional(&self.pool).await?;
        row.as_ref().map(account).transpose()
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, Error> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(account).transpose()
    }

    /// Counts a failed sign-in step; locks the account after [`LOCK_AFTER`]
    /// in a row. Returns the failures so far.
    pub async fn record_failure(&self, id: i64) -> Result<i64, Error> {
        let failures: i64 = sqlx::query_scalar(
            "UPDATE users SET failed_attempts = failed_attempts + 1,
                locked_until = CASE WHEN failed_attempts + 1 >= ?1 THEN ?2 ELSE locked_until END
             WHERE id = ?3 RETURNING failed_attempts",
        )
        .bind(LOCK_AFTER)
        .bind(now() + LOCK_SECONDS)
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(failures)
    }

    pub async fn clear_failures(&self, id: i64) -> Result<(), Error> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = 0 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_password(&self, id: i64, new_password: &str) -> Result<(), Error> {
        let hash = password::hash(new_password).map_err(Error::Config)?;
        sqlx::query("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a secret being enrolled (not yet confirmed by a code).
    pub async fn set_pending_totp(&self, id: i64, secret: &str) -> Result<(), Error> {
        sqlx::query("UPDATE users SET totp_secret = ?, totp_enrolled = 0 WHERE id = ? AND totp_enrolled = 0")
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
            "UPDATE users SET totp_last_step = ?1, totp_enrolled = 1 WHERE id = ?2 AND totp_last_step < ?1",
        )
        .bind(step)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn count_users(&self) -> Result<i64, Error> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
    }
}
