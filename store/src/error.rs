//! What can go wrong at the storage boundary, with constraint violations
//! told apart so callers can answer "already exists" instead of "error".

use sqlx::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    #[error("cannot reach the database {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A UNIQUE or PRIMARY KEY constraint refused a second row.
    #[error("already exists ({constraint})")]
    Duplicate { constraint: String },
    /// A FOREIGN KEY constraint refused a row pointing nowhere.
    #[error("refers to a row that does not exist ({constraint})")]
    MissingReference { constraint: String },
    /// A CHECK or NOT NULL constraint refused a value.
    #[error("value not allowed ({constraint})")]
    Refused { constraint: String },
    /// Another writer held the lock for too long, or the pool had no free
    /// connection in time.
    #[error("the database is busy; try again")]
    Busy,
    /// A stored value this build does not know (e.g. an unknown state).
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
    /// An operator's request the store cannot carry out (a backup over an
    /// existing file, a role name that is not one), with the reason.
    #[error("{0}")]
    Invalid(String),
    /// A row that was asked for by id is not there.
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: i64 },
    /// A record changed under every one of several save attempts.
    #[error("record {0} kept changing while it was being saved")]
    Contended(i64),
    /// A file of a backup or restore could not be read or written.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("database error: {0}")]
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            sqlx::Error::Database(db) => {
                let constraint = db.constraint().unwrap_or_else(|| db.message()).to_string();
                match db.kind() {
                    ErrorKind::UniqueViolation => StoreError::Duplicate { constraint },
                    ErrorKind::ForeignKeyViolation => StoreError::MissingReference { constraint },
                    ErrorKind::NotNullViolation | ErrorKind::CheckViolation => StoreError::Refused { constraint },
                    // SQLITE_BUSY (5) and its extended codes; PostgreSQL's
                    // serialization failure and deadlock.
                    _ if matches!(db.code().as_deref(), Some("5" | "261" | "517" | "40001" | "40P01")) => {
                        StoreError::Busy
                    }
                    _ => StoreError::Sql(e),
                }
            }
            _ => StoreError::Sql(e),
        }
    }
}

impl StoreError {
    /// Whether a UNIQUE constraint on this table (or index) refused the row.
    pub fn is_duplicate_of(&self, name: &str) -> bool {
        matches!(self, StoreError::Duplicate { constraint } if constraint.contains(name))
    }
}
