//! Relatives' email addresses: whether each has been confirmed, when it
//! was last written to, and the site address it was given on (for links).

use sqlx::FromRow;

use crate::{Conn, StoreError};

/// What is known of an address.
#[derive(Debug, Clone, FromRow)]
pub struct Address {
    pub confirmed_at: Option<String>,
    pub last_notice_at: Option<i64>,
    pub link_origin: Option<String>,
}

/// Records `address` (already lower-cased) with the `scheme://host` it was
/// given on, keeping an older origin when none is given, and returns what
/// is known of it.
pub async fn remember(tx: &mut Conn, address: &str, origin: Option<&str>) -> Result<Address, StoreError> {
    sqlx::query(
        "INSERT INTO email_addresses (address, link_origin) VALUES ($1, $2) \
         ON CONFLICT(address) DO UPDATE SET link_origin = COALESCE(excluded.link_origin, email_addresses.link_origin)",
    )
    .bind(address)
    .bind(origin)
    .execute(&mut *tx)
    .await?;
    Ok(sqlx::query_as("SELECT confirmed_at, last_notice_at, link_origin FROM email_addresses WHERE address = $1")
        .bind(address)
        .fetch_one(&mut *tx)
        .await?)
}

/// Stores the hash of a new confirmation link and when it was sent.
pub async fn set_confirmation(tx: &mut Conn, address: &str, token_hash: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE email_addresses SET token_hash = $1, last_notice_at = $2 WHERE address = $3")
        .bind(token_hash)
        .bind(now)
        .bind(address)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
