//! Staff accounts: the rules for names and passwords around the stored
//! accounts of [`findkin_store::users`].

use crate::auth::{password, Role};
use crate::store::{Store, Writer};
use crate::Error;
use findkin_store::users::NewAccount;

pub use findkin_store::users::{after_failure, Account, LOCK_AFTER, LOCK_SECONDS};

pub use crate::store::clock::unix_now as now;

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
        let account = NewAccount { name, role, password_hash: &hash, must_change_password: true, totp_secret: None };
        self.insert_user(&account).await?;
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
        let account = NewAccount {
            name,
            role,
            password_hash: &hash,
            must_change_password: false,
            totp_secret: Some(totp_secret),
        };
        Ok(self.insert_user(&account).await?)
    }

    /// Disables an account: its sessions end and the requests it held for
    /// review go back to the queue, in one transaction. Returns how many
    /// requests were released.
    pub async fn disable_user(&self, name: &str) -> Result<u64, Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let Some(id) = findkin_store::Store::disable_user_in(&mut tx, name).await? else {
            return Err(Error::Refused(format!("no user named {name:?}")));
        };
        let released = Store::release_claims_in(&mut tx, id, "system").await?;
        tx.commit().await?;
        Ok(released)
    }

    pub async fn set_password(&self, id: i64, new_password: &str) -> Result<(), Error> {
        let hash = password::hash(new_password).map_err(Error::PasswordHash)?;
        Ok(self.set_password_hash(id, &hash).await?)
    }
}
