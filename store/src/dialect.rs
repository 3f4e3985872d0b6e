//! The few places where SQLite and PostgreSQL differ. Everything else is
//! one SQL text (`$N` placeholders, `RETURNING`, `ON CONFLICT`) run through
//! sqlx's `Any` driver, so each statement is written once.

use sqlx::migrate::Migrator;

use super::StoreError;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Classes of writers. On PostgreSQL each class is a transaction-scoped
/// advisory lock, so writers of one class commit one after another, as they
/// do on SQLite; writers of different classes run side by side (an import
/// never holds up a contact request). SQLite has one writer at a time anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Records and their change feed: imports and edits. Serialising them
    /// makes feed sequence numbers commit in order, so a follower that has
    /// read up to N never misses a change numbered below N.
    Registry = 1,
    /// Requests, accounts, sessions, the outbox, bot state.
    Service = 2,
}

/// Lock id of the audit chain's tail (taken last, held to commit).
const AUDIT_LOCK: i64 = 3;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

impl Dialect {
    /// The dialect of a database URL, or why it is not one we speak.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    /// The dialect of an open connection (inside a transaction, where
    /// no `Store` is at hand).
    pub fn of_conn(conn: &super::Conn) -> Self {
        if conn.backend_name() == "PostgreSQL" {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }

    pub fn migrator(self) -> &'static Migrator {
        match self {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
        }
    }

    /// The statement that opens a write transaction.
    pub(crate) fn begin(self) -> &'static str {
        match self {
            // IMMEDIATE: take the write lock up front, so concurrent writers
            // wait (busy timeout) instead of failing on a lock upgrade.
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// The statement run right after `begin` for a writer class, if any.
    pub(crate) fn lock(self, writer: Writer) -> Option<String> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(format!("SELECT pg_advisory_xact_lock({})", writer as i64)),
        }
    }

    /// The statement that serialises appends to the audit chain.
    pub(crate) fn audit_lock(self) -> Option<String> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK})")),
        }
    }

    /// A statement that checks the stored data, one text row per problem
    /// (SQLite answers a single "ok" when there is none).
    pub(crate) fn integrity_check(self) -> &'static str {
        match self {
            Dialect::Sqlite => "PRAGMA integrity_check",
            // PostgreSQL has no cheap whole-database check (page checksums
            // are opt-in at initdb); this proves the tables answer and the
            // change feed points only at stored records.
            Dialect::Postgres => {
                "SELECT 'record_changes points at a missing record' FROM record_changes c \
                 WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = c.record_id) LIMIT 1"
            }
        }
    }
}

/// A URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_dialect() {
        assert_eq!(Dialect::of_url("sqlite:///tmp/x.db").unwrap(), Dialect::Sqlite);
        assert_eq!(Dialect::of_url("postgres://u@h/db").unwrap(), Dialect::Postgres);
        assert_eq!(Dialect::of_url("postgresql://u@h/db").unwrap(), Dialect::Postgres);
        let err = Dialect::of_url("mysql://root:hunter2@h/db").unwrap_err().to_string();
        assert!(err.contains("mysql://root:***@h/db") && !err.contains("hunter2"), "{err}");
    }
}
