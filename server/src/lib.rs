//! The findkin server: storage, import, the search registry, the HTTP
//! service and the command line (`main.rs`).

pub mod audit;
pub mod auth;
pub mod backend;
pub mod calendar;
pub mod candidates;
pub mod charts;
pub mod config;
pub mod csv_import;
pub mod csv_safe;
pub mod demo_data;
pub mod eval;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod pending_photos;
pub mod pfif;
pub mod photos;
pub mod record_merge;
pub mod record_store;
pub mod records;
pub mod registry;
pub mod relative_notice;
pub mod rematch;
pub mod requests;
pub mod staff_alerts;
pub mod store;
pub mod telegram;
pub mod users;
pub mod workflow;

/// Errors crossing the server's module boundaries; `main` adds context.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Search(#[from] findkin_search::SearchError),
    #[error("invalid CSV file:\n{0}")]
    Csv(#[from] csv_import::CsvErrors),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
