//! What the pages ask of the server: the public search. The server
//! implements [`Backend`]; the server function stays a thin adapter.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One public search result: only the fields the disclosure rules mark
/// `public` (name, birth year, region), never status, places or photos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublicHit {
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_year: Option<u16>,
    pub region: Option<String>,
    /// Opaque reference for the request form ("this may be him"); not a record id.
    pub candidate: Option<String>,
}

/// Why a query was refused; the page words it in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchProblem {
    EmptyQuery,
    QueryTooLong,
    TooManyWords,
    BadBirthYear,
    /// A surname alone (one word, no birth year) would list a whole family
    /// name: the page asks for a given name or a year instead.
    NeedsMore,
    /// This client has used up its search budget for now.
    RateLimited,
    Unavailable,
}

impl SearchProblem {
    /// Translation key of the message.
    pub fn message_key(self) -> &'static str {
        match self {
            SearchProblem::EmptyQuery => "search.error.empty",
            SearchProblem::QueryTooLong => "search.error.too_long",
            SearchProblem::TooManyWords => "search.error.too_many_words",
            SearchProblem::BadBirthYear => "search.error.birth_year",
            SearchProblem::NeedsMore => "search.error.needs_more",
            SearchProblem::RateLimited => "search.error.rate_limited",
            SearchProblem::Unavailable => "search.error.unavailable",
        }
    }
}

/// The public answer: the hits, and the words of the query that were not
/// read as part of a name ("ищу", "сына"), so the page can say so.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicResults {
    pub hits: Vec<PublicHit>,
    pub set_aside: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SearchOutcome {
    Hits(PublicResults),
    Refused(SearchProblem),
}

/// Public hits shown at most, whatever is asked.
pub const PUBLIC_LIMIT: usize = 10;

/// Parses the optional birth-year box: empty is "not given".
pub fn parse_birth_year(text: &str) -> Result<Option<u16>, SearchProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u16>() {
        Ok(y) if (1900..=2030).contains(&y) => Ok(Some(y)),
        _ => Err(SearchProblem::BadBirthYear),
    }
}

/// The error text of a refused server-function call, so the page can tell
/// a spent budget from a failure.
pub const RATE_LIMITED_FN_ERROR: &str = "rate_limited";

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The public search: at most [`PUBLIC_LIMIT`] hits, public fields only.
    async fn search_public(&self, query: &str, birth_year: Option<u16>) -> Result<PublicResults, SearchProblem>;
}

/// The backend as stored in the Leptos context.
#[cfg(feature = "ssr")]
pub type SharedBackend = std::sync::Arc<dyn Backend>;

/// Runs the public search (from the results page, with or without JavaScript).
#[server(prefix = "/_fn", endpoint = "search")]
pub async fn search_public(q: String, birth_year: String) -> Result<SearchOutcome, ServerFnError> {
    let year = match parse_birth_year(&birth_year) {
        Ok(y) => y,
        Err(p) => return Ok(SearchOutcome::Refused(p)),
    };
    let backend = use_context::<SharedBackend>().ok_or_else(|| ServerFnError::new("backend missing"))?;
    Ok(match backend.search_public(&q, year).await {
        Ok(hits) => SearchOutcome::Hits(hits),
        Err(p) => SearchOutcome::Refused(p),
    })
}
