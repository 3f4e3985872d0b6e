//! A contact request's candidates: the records the name engine finds for
//! the sought name, ranked with the birth date, region and unit the
//! relative gave. The request page shows them and re-matching raises them, so both
//! use this one search.

use findkin_search::{Hit, Query, SearchOptions};

use crate::registry::Registry;

/// Candidates shown on a request page.
pub const SHOWN: usize = 10;
/// Only the first few hits can be a strong candidate: beyond them the
/// engine itself found better ones.
const STRONG_RANK: usize = 3;

/// What the relative told us of the person they seek.
#[derive(Debug, Clone, Copy)]
pub struct Sought<'a> {
    pub name: &'a str,
    pub birth: Option<&'a str>,
    pub region: Option<&'a str>,
    pub unit: Option<&'a str>,
}

impl Sought<'_> {
    fn query(&self) -> Option<Query> {
        let q = Query::parse(self.name, None).ok()?;
        Some(q.with_birth_date(self.birth).with_region(self.region).with_unit(self.unit))
    }

    /// The staff search for the sought name, best first (at most [`SHOWN`]).
    /// A name the engine cannot read (empty, too long) has no candidates.
    pub fn hits(&self, registry: &Registry) -> Vec<Hit> {
        match self.query() {
            Some(q) => {
                registry.search_query(&q, SearchOptions { limit: SHOWN, public_only: false }).unwrap_or_default()
            }
            None => Vec::new(),
        }
    }

    /// Whether the hit at `rank` (0-based) in [`hits`](Self::hits) is worth
    /// a moderator's attention on its own: the public rule holds (every word
    /// the relative typed matched, the surname among them), it is among the
    /// first few, and its birth year does not contradict the one given.
    pub fn is_strong(&self, hit: &Hit, rank: usize) -> bool {
        let year = |d: &str| d.get(..4).and_then(|y| y.parse::<u16>().ok());
        let birth_agrees = match (self.birth.and_then(year), hit.record.birth_date.as_deref().and_then(year)) {
            (Some(want), Some(have)) => want.abs_diff(have) <= 1,
            _ => true,
        };
        hit.public && rank < STRONG_RANK && birth_agrees
    }
}
