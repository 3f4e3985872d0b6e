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
pub use findkin_store::pending_photos;
pub mod pfif;
pub mod photos;
pub use findkin_store::record_merge;
pub mod record_store;
pub use findkin_store::records;
pub mod registry;
pub mod relative_notice;
pub mod rematch;
pub mod requests;
pub mod staff_alerts;
pub mod store;
pub mod submission_budget;
pub mod telegram;
pub mod users;
pub mod workflow;

/// Errors crossing the server's module boundaries; `main` adds context.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting that cannot work (an address that cannot be bound, …).
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Search(#[from] findkin_search::SearchError),
    #[error("invalid CSV file:\n{0}")]
    Csv(#[from] csv_import::CsvErrors),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A row that was asked for by id is not there.
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: i64 },
    /// An operator's input was refused (a user name, a duplicate account).
    #[error("{0}")]
    Refused(String),
    /// A record changed under every one of several save attempts.
    #[error("record {0} kept changing while it was being saved")]
    Contended(i64),
    #[error("cannot write CSV: {0}")]
    CsvWrite(#[from] csv::Error),
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot hash the password: {0}")]
    PasswordHash(String),
    #[error("cannot queue the notification: {0}")]
    Outbox(#[from] notify::NotifyError),
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Transactions are committed where the workflow runs them (a commit
/// failing is a storage error like any other).
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(e.into())
    }
}
