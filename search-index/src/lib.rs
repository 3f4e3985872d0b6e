//! findkin name search: finds a person in the registry however their name
//! is typed (any script, transliteration, Ukrainian spelling, typo,
//! diminutive, case form, wrong keyboard layout, word order, initials).
//!
//! It knows nothing of the web or the database: the server feeds it
//! [`RecordDoc`]s and asks it [`Query`]s.

pub mod declension;
mod directory;
pub mod index;
pub mod keys;
pub mod layout;
pub mod names;
pub mod normalize;
pub mod parallel;
pub mod query;
pub mod rank;
mod retrieve;
pub mod spelling;

pub use index::{Hit, NameIndex, RecordDoc, SearchOptions};
pub use keys::NameField;
pub use query::Query;
pub use rank::{MatchKind, WordMatch};

/// Everything that can go wrong in name search, worded for the person who
/// typed the query where it is their input that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the query is empty: type at least a surname or a given name")]
    EmptyQuery,
    #[error("the query is too long: at most {max} characters")]
    QueryTooLong { max: usize },
    #[error("the query has too many words: at most {max} (surname, given name, patronymic)")]
    TooManyWords { max: usize },
    #[error("birth year {year} is out of range: it must be between {min} and {max}")]
    BirthYearOutOfRange { year: u16, min: u16, max: u16 },
    #[error("the search index is being written by another findkin process (a running server?)")]
    IndexBusy,
    /// The index on disk was built with other fields: rebuild it.
    #[error("the search index on disk was built with another schema")]
    SchemaMismatch,
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory error: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl SearchError {
    /// Whether the error is the searcher's input (a 400), not the service's fault.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            SearchError::EmptyQuery
                | SearchError::QueryTooLong { .. }
                | SearchError::TooManyWords { .. }
                | SearchError::BirthYearOutOfRange { .. }
        )
    }
}
