//! The server's side of the UI contract: [`findkin_app::backend::Backend`].

use std::sync::Arc;

use findkin_app::backend::{Backend, PublicHit, PublicResults, SearchProblem, PUBLIC_LIMIT};
use findkin_search::{Hit, Query, SearchError, SearchOptions};

use crate::registry::Registry;
use crate::Error;

pub struct SiteBackend {
    pub registry: Arc<Registry>,
}

/// Shows a name with dignity whatever case it was stored in (ИВАНОВ → Иванов).
pub fn display_name(s: &str) -> String {
    s.split(' ')
        .map(|word| {
            word.split('-')
                .map(|part| {
                    if part.chars().count() > 1 && part.chars().all(|c| !c.is_lowercase()) {
                        let mut cs = part.chars();
                        cs.next()
                            .map(|f| f.to_uppercase().chain(cs.flat_map(char::to_lowercase)).collect())
                            .unwrap_or_default()
                    } else {
                        part.to_string()
                    }
                })
                .collect::<Vec<String>>()
                .join("-")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The public projection of a hit: name, birth year, region. Nothing else
/// (no date, place, status or id) leaves through the public side.
pub fn to_public(h: &Hit) -> PublicHit {
    let h = &h.record;
    PublicHit {
        surname: display_name(&h.surname),
        given_name: display_name(&h.given_name),
        patronymic: display_name(&h.patronymic),
        birth_year: h.birth_date.as_deref().and_then(|d| d.get(..4)).and_then(|y| y.parse().ok()),
        region: h.region.clone(),
        candidate: h.public_ref.clone(),
    }
}

/// A record as the public may see it: its full name, and the "possible
/// match" line (name, birth year, region) — for the request form.
pub fn public_line(r: &crate::record_store::StoredRecord) -> (String, String) {
    let i = &r.input;
    let name = [i.surname.as_str(), i.given_name.as_str(), i.patronymic.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(display_name)
        .collect::<Vec<_>>()
        .join(" ");
    let mut line = name.clone();
    if let Some(y) = i.birth_date.as_deref().and_then(|d| d.get(..4)) {
        line.push_str(&format!(", {y}"));
    }
    if let Some(region) = &i.region {
        line.push_str(&format!(", {region}"));
    }
    (name, line)
}

pub fn problem_of(e: &Error) -> SearchProblem {
    match e {
        Error::Search(SearchError::EmptyQuery) => SearchProblem::EmptyQuery,
        Error::Search(SearchError::QueryTooLong { .. }) => SearchProblem::QueryTooLong,
        Error::Search(SearchError::TooManyWords { .. }) => SearchProblem::TooManyWords,
        Error::Search(SearchError::BirthYearOutOfRange { .. }) => SearchProblem::BadBirthYear,
        _ => SearchProblem::Unavailable,
    }
}

/// Why the public search gave no list: the query was refused (the caller
/// words it), or the search itself failed (logged, a 500).
#[derive(Debug, thiserror::Error)]
pub enum PublicSearchError {
    #[error("query refused: {0:?}")]
    Refused(SearchProblem),
    #[error(transparent)]
    Failed(Error),
}

impl From<Error> for PublicSearchError {
    fn from(e: Error) -> Self {
        match problem_of(&e) {
            SearchProblem::Unavailable => PublicSearchError::Failed(e),
            p => PublicSearchError::Refused(p),
        }
    }
}

/// The public side shows people only for a query that names more than a
/// family: two words (an initial counts), or one with a birth year.
/// Otherwise a public list of common surnames would list the registry.
fn check_specific(query: &str, birth_year: Option<u16>) -> Result<Query, PublicSearchError> {
    let parsed = Query::parse(query, birth_year).map_err(Error::from)?;
    if parsed.words.len() < 2 && birth_year.is_none() {
        return Err(PublicSearchError::Refused(SearchProblem::NeedsMore));
    }
    Ok(parsed)
}

/// The public search, shared by the pages and the JSON API.
pub async fn public_search(
    registry: &Arc<Registry>,
    query: &str,
    birth_year: Option<u16>,
) -> Result<PublicResults, PublicSearchError> {
    let parsed = check_specific(query, birth_year)?;
    let set_aside = parsed.set_aside.clone();
    // Closed only if the registry is dropped, which outlives every request.
    let _slot = registry.search_slots.acquire().await.map_err(|_| Error::Refused("shutting down".into()))?;
    // Run here, not on the blocking pool: a public search takes well under
    // a millisecond (p99 1.3 ms at a million records), and handing it to
    // another thread and back cost an eighth of an HTTP search's CPU in
    // futex wake-ups and context switches (docs/PERFORMANCE.md).
    let hits = registry.search_query(&parsed, SearchOptions { limit: PUBLIC_LIMIT, public_only: true })?;
    Ok(PublicResults { hits: hits.iter().map(to_public).collect(), set_aside })
}

#[async_trait::async_trait]
impl Backend for SiteBackend {
    async fn search_public(&self, query: &str, birth_year: Option<u16>) -> Result<PublicResults, SearchProblem> {
        public_search(&self.registry, query, birth_year).await.map_err(|e| match e {
            PublicSearchError::Refused(p) => p,
            PublicSearchError::Failed(e) => {
                tracing::error!(error = %e, "public search failed");
                SearchProblem::Unavailable
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surname_alone_asks_for_more() {
        let refused =
            |q: &str, y| matches!(check_specific(q, y), Err(PublicSearchError::Refused(SearchProblem::NeedsMore)));
        assert!(refused("Иванов", None));
        assert!(refused("  ИВАНОВ, ", None));
        assert!(!refused("Иванов", Some(1990)));
        assert!(!refused("Иванов Сергей", None));
        assert!(!refused("Иванов С.", None));
        assert!(matches!(
            check_specific(&"я".repeat(500), None),
            Err(PublicSearchError::Refused(SearchProblem::QueryTooLong))
        ));
    }

    #[test]
    fn capitals_are_softened() {
        assert_eq!(display_name("ИВАНОВ"), "Иванов");
        assert_eq!(display_name("ПЕТРОВ-ВОДКИН"), "Петров-Водкин");
        assert_eq!(display_name("Иванов"), "Иванов");
        assert_eq!(display_name("А"), "А");
    }
}
