//! Which database the end-to-end tests run on.
//!
//! `FINDKIN_TEST_DATABASE=postgres` runs every test against PostgreSQL
//! (`FINDKIN_TEST_PG`, default `postgres://postgres@127.0.0.1:5432`): each
//! data directory gets a database of its own, named after the directory, so
//! tests stay independent and parallel. Otherwise the binary's embedded
//! default (SQLite in the data directory) is used.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// Prefix of every test database (`make test` drops leftovers by it).
pub const PREFIX: &str = "findkin_t_";

pub fn postgres() -> bool {
    std::env::var("FINDKIN_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// The server URL without a database name.
pub fn server_url() -> String {
    std::env::var("FINDKIN_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Runs one SQL statement on the server's `postgres` database with psql.
pub fn psql(database: &str, sql: &str) -> String {
    let url = format!("{}/{database}", server_url());
    let out = Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", &url, "-c", sql])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
    assert!(out.status.success(), "psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A fresh database (dropped first if a previous run left it).
pub fn create(name: &str) -> String {
    psql("postgres", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    psql("postgres", &format!("CREATE DATABASE {name}"));
    format!("{}/{name}", server_url())
}

/// The database URL for a data directory, creating its database on first
/// use; `None` on SQLite (the data directory holds the database).
pub fn url_for(data_dir: &Path) -> Option<String> {
    if !postgres() {
        return None;
    }
    static MADE: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let name = name_for(data_dir);
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    let made = made.get_or_insert_with(HashSet::new);
    if made.insert(name.clone()) {
        create(&name);
    }
    Some(format!("{}/{name}", server_url()))
}

/// A database name derived from the data directory's path (stable within
/// a run, unique across directories).
fn name_for(data_dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut h);
    format!("{PREFIX}{:016x}", h.finish())
}
