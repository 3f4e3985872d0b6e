//! The server's handle on [`findkin_store`], the crate that holds every SQL
//! statement.
//!
//! A newtype with `Deref`: everything the store crate defines is reached
//! through it, and the server's own `impl Store` blocks (accounts,
//! requests, re-matching, …) form the service layer. They decide (workflow
//! rules, password hashing, message wording) and call the store's
//! primitives inside one transaction; they hold no SQL.

use std::ops::Deref;

pub use findkin_store::{
    announce_changes, backup, clock, dialect, sql, upsert_records, Conn, Dialect, ImportCounts, Sql, StoreError,
    Tuning, Tx, Writer,
};

/// The one handle to the database the rest of the server holds.
#[derive(Clone)]
pub struct Store(findkin_store::Store);

impl Deref for Store {
    type Target = findkin_store::Store;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Store {
    /// [`Store::connect`] with the pool's waits set.
    pub async fn connect_with(url: &str, tuning: Tuning) -> Result<Self, StoreError> {
        findkin_store::Store::connect_with(url, tuning).await.map(Store)
    }

    /// This process serves nobody (see [`findkin_store::Store::set_one_shot`]).
    pub fn set_one_shot(&mut self) {
        self.0.set_one_shot();
    }

    /// A store for a unit test (see [`findkin_store::Store::scratch`]).
    #[cfg(test)]
    pub async fn scratch(dir: &std::path::Path) -> Self {
        Store(findkin_store::Store::scratch(dir).await)
    }
}
