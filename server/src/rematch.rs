//! Re-matching: every record import or edit is run against the requests
//! still waiting — open ones, and those closed "no match" within a window —
//! so a relative who searched before her son was in the registry hears of
//! it, and a moderator looks again.
//!
//! The cost follows the changed records, not requests × records:
//! 1. pairs of a waiting request and a changed record that pass the public
//!    rule on their own — every word the relative typed matches the record —
//!    are found through an in-memory index: of the changed records for a
//!    big import ([`by_request`]), of the waiting requests for an edit or a
//!    short list ([`by_record`]);
//! 2. only the requests in a pair are searched as the request page searches
//!    them ([`crate::candidates`]), once each, and a changed record among
//!    the first hits with no birth-year conflict is a strong candidate.
//!
//! A cursor on the `record_changes` feed makes each change count once;
//! `request_candidates` makes each (request, record) pair count once, also
//! across processes. The relative hears only "there is news".

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use findkin_search::parallel::on_every_core;
use findkin_search::rank::match_name;
use findkin_search::{NameIndex, Query, RecordDoc, SearchOptions};

use crate::store::{clock, Writer};

use crate::candidates;
use crate::registry::Registry;
use crate::relative_notice::{self, News};
use crate::requests::{RequestRow, RequestRowExt};
use crate::staff_alerts::{self, AlertKind};
use crate::store::Store;
use crate::workflow::{on_new_candidate, State};
use crate::Error;
use findkin_store::requests;

/// Where re-matching has followed the change feed to (a `meta` key).
const CURSOR: &str = "rematch_applied";
/// Changed records read per step.
const PAGE: i64 = 5_000;
/// Change numbers re-matched per step: what one step holds in memory.
const FEED_WINDOW: i64 = 50_000;
/// Waiting requests one surname can bring up. Far more than share one
/// surname in practice; the pair check and the real search follow.
const REVERSE_LIMIT: usize = 1_000;
/// From one changed record per this many waiting requests on, a run
/// searches each request among the changed records instead of looking
/// each record up among the requests.
const BULK_RATIO: usize = 10;
/// How long a request closed "no match" keeps being looked at, by default.
pub const DEFAULT_WINDOW_DAYS: i64 = 365;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RematchReport {
    /// Changed records looked at.
    pub records: u64,
    /// Requests waiting when the run started.
    pub waiting: u64,
    /// Requests searched in full (after the cheap checks).
    pub searched: u64,
    /// Requests that got a new strong candidate.
    pub raised: u64,
    /// Of those, closed "no match" and now back in the queue.
    pub reopened: u64,
}

/// A waiting request, parsed once per run.
struct Waiting {
    row: RequestRow,
    query: Option<Query>,
}

impl Registry {
    /// Runs every record change since the last run (up to what the search
    /// index holds) against the waiting requests. Idempotent: running it
    /// again, or in two processes, raises nothing twice.
    pub async fn rematch(&self, window_days: i64) -> Result<RematchReport, Error> {
        let _one_at_a_time = self.rematch_lock.lock().await;
        let Some(target) = self.applied() else { return Ok(RematchReport::default()) };
        let cursor: i64 = match self.store.meta(CURSOR).await? {
            Some(v) => v.parse().unwrap_or(0),
            None => {
                // A registry from before re-matching: its records were there
                // when its requests were reviewed.
                self.store.set_meta(CURSOR, &target.to_string()).await?;
                return Ok(RematchReport::default());
            }
        };
        if cursor >= target {
            return Ok(RematchReport::default());
        }
        let waiting = self.store.waiting(window_days).await?;
        let mut report = RematchReport { waiting: waiting.len() as u64, ..RematchReport::default() };
        if waiting.is_empty() {
            // Nobody waits: the changes are only counted, not loaded.
            report.records = self.store.count_changed(cursor, target).await?;
            self.store.set_meta(CURSOR, &target.to_string()).await?;
            return Ok(report);
        }
        let started = Instant::now();
        report.records = self.store.count_changed(cursor, target).await?;
        // Step 1 a window of the feed at a time: a window's changed records
        // and their in-memory index are all a run holds, however big the
        // import. The pairs it finds are few; they are searched and raised
        // once per request at the end, so a relative hears once per run.
        let mut pairs: HashMap<i64, HashSet<i64>> = HashMap::new();
        let mut from = cursor;
        while from < target {
            let upto = target.min(from.saturating_add(FEED_WINDOW));
            let changed: HashMap<i64, String> = self.store.changes_between(from, upto).await?.into_iter().collect();
            for (request_id, records) in self.pairs(from, upto, &changed, &waiting).await? {
                pairs.entry(request_id).or_default().extend(records);
            }
            from = upto;
        }
        let paired = started.elapsed();
        report.searched = pairs.len() as u64;
        // Step 2 is CPU work: spread over the cores, off the async workers.
        let strong = off_the_runtime(|| {
            on_every_core(pairs.into_iter().collect(), |(request_id, records): (i64, HashSet<i64>)| {
                let w = waiting.get(&request_id)?;
                let sought = w.row.sought();
                let strong: Vec<(i64, String)> = sought
                    .hits(self)
                    .iter()
                    .enumerate()
                    .filter(|(rank, h)| records.contains(&(h.record.id as i64)) && sought.is_strong(h, *rank))
                    .map(|(_, h)| (h.record.id as i64, h.record.external_id.clone()))
                    .collect();
                (!strong.is_empty()).then_some((request_id, strong))
            })
        });
        let at = Instant::now();
        for (request_id, strong) in strong.into_iter().flatten() {
            if let Some(reopened) = self.store.raise_candidates(request_id, &strong).await? {
                report.raised += 1;
                report.reopened += u64::from(reopened);
            }
        }
        let raising = at.elapsed();
        self.store.set_meta(CURSOR, &target.to_string()).await?;
        let searching = started.elapsed().saturating_sub(paired + raising);
        if report.raised > 0 {
            tracing::info!(
                records = report.records,
                waiting = report.waiting,
                searched = report.searched,
                raised = report.raised,
                pairing_ms = paired.as_millis() as u64,
                searching_ms = searching.as_millis() as u64,
                raising_ms = raising.as_millis() as u64,
                "re-matching found new candidates"
            );
        }
        Ok(report)
    }

    /// Steps 1 and 2: for each request, the changed records that pass the
    /// public rule against it and changed after it was sent.
    async fn pairs(
        &self,
        from: i64,
        upto: i64,
        changed: &HashMap<i64, String>,
        waiting: &HashMap<i64, Waiting>,
    ) -> Result<HashMap<i64, HashSet<i64>>, Error> {
        // The feed is read a stretch of PAGE changes at a time; a record
        // changed twice in the window is taken once.
        let mut records = Vec::with_capacity(changed.len());
        let mut seen = HashSet::with_capacity(changed.len());
        let mut stretch = from;
        while stretch < upto {
            let end = (stretch + PAGE).min(upto);
            let page = self.store.feed_page(stretch, end).await?;
            stretch = end;
            let id = |r: &RecordDoc| r.id as i64;
            records.extend(page.into_iter().filter(|r| changed.contains_key(&id(r)) && seen.insert(id(r))));
        }
        let found = if records.len() * BULK_RATIO >= waiting.len() {
            by_request(&records, waiting)?
        } else {
            by_record(&records, waiting)?
        };
        let mut pairs: HashMap<i64, HashSet<i64>> = HashMap::new();
        for (request_id, record_id) in found {
            let (Some(w), Some(changed_at)) = (waiting.get(&request_id), changed.get(&record_id)) else { continue };
            // A record already there when the request came was on its page.
            if w.row.created_at.as_str() < changed_at.as_str() {
                pairs.entry(request_id).or_default().insert(record_id);
            }
        }
        Ok(pairs)
    }
}

/// A big import (at least one changed record per [`BULK_RATIO`] waiting
/// requests): the changed records go into an in-memory index and each
/// waiting request is searched there with the public rule. Costs
/// O(changed + waiting), and waiting ≤ BULK_RATIO × changed here.
fn by_request(records: &[RecordDoc], waiting: &HashMap<i64, Waiting>) -> Result<Vec<(i64, i64)>, Error> {
    let delta = NameIndex::in_memory()?;
    delta.upsert(records)?;
    delta.commit()?;
    delta.close_writer()?;
    let opts = SearchOptions { limit: candidates::SHOWN, public_only: true };
    let found = off_the_runtime(|| {
        on_every_core(waiting.iter().collect(), |(id, w): (&i64, &Waiting)| {
            let Some(q) = &w.query else { return Ok(Vec::new()) };
            Ok::<_, Error>(delta.search(q, opts)?.iter().map(|hit| (*id, hit.record.id as i64)).collect::<Vec<_>>())
        })
    });
    let mut out = Vec::new();
    for pairs in found {
        out.extend(pairs?);
    }
    Ok(out)
}

/// Runs long CPU work so that a multi-threaded runtime moves its other
/// tasks (page loads, searches) to another worker meanwhile.
fn off_the_runtime<R>(work: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// A few changed records (an edit, a short list): the waiting requests'
/// sought names go into an in-memory index, each changed record's surname
/// is looked up there, and each pair found must pass the public rule.
/// Costs O(changed × requests sharing a surname).
fn by_record(records: &[RecordDoc], waiting: &HashMap<i64, Waiting>) -> Result<Vec<(i64, i64)>, Error> {
    let reverse = reverse_index(waiting)?;
    let mut by_surname: HashMap<String, Vec<i64>> = HashMap::new();
    let mut out = Vec::new();
    for rec in records {
        let key = surname_key(rec);
        let requests = by_surname.entry(key).or_insert_with_key(|k| lookup(&reverse, k));
        let parts = rec.name_parts();
        for request_id in requests.iter() {
            let Some(w) = waiting.get(request_id) else { continue };
            if w.query.as_ref().is_some_and(|q| match_name(&q.words, &parts).is_public()) {
                out.push((*request_id, rec.id as i64));
            }
        }
    }
    Ok(out)
}

/// The words a record is looked up by: its surname (the public rule needs
/// it matched), or its whole name if it has none.
fn surname_key(rec: &RecordDoc) -> String {
    let s = rec.surname.trim();
    if s.is_empty() {
        format!("{} {}", rec.given_name.trim(), rec.patronymic.trim())
    } else {
        s.to_lowercase()
    }
}

/// The waiting requests' sought names, each word in every role (a
/// relative writes the parts in any order), in memory.
fn reverse_index(waiting: &HashMap<i64, Waiting>) -> Result<NameIndex, Error> {
    let index = NameIndex::in_memory()?;
    let docs: Vec<RecordDoc> = waiting
        .values()
        .map(|w| RecordDoc {
            id: w.row.id as u64,
            surname: w.row.sought_name.clone(),
            given_name: w.row.sought_name.clone(),
            patronymic: w.row.sought_name.clone(),
            ..RecordDoc::default()
        })
        .collect();
    index.upsert(&docs)?;
    index.commit()?;
    index.close_writer()?;
    Ok(index)
}

fn lookup(reverse: &NameIndex, words: &str) -> Vec<i64> {
    let Ok(q) = Query::parse(words, None) else { return Vec::new() };
    let opts = SearchOptions { limit: REVERSE_LIMIT, public_only: false };
    reverse.search(&q, opts).map(|hits| hits.iter().map(|h| h.record.id as i64).collect()).unwrap_or_default()
}

impl Store {
    /// Requests a new record may be news for, each parsed once.
    async fn waiting(&self, window_days: i64) -> Result<HashMap<i64, Waiting>, Error> {
        let rows = self.waiting_requests(window_days).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let query = Query::parse(&row.sought_name, None).ok();
                (row.id, Waiting { row, query })
            })
            .collect())
    }

    /// Records candidates a moderator has already weighed (the page showed
    /// them when the request was closed): re-matching never raises them.
    pub async fn mark_candidates_seen(&self, request_id: i64, records: &[i64]) -> Result<(), Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let now = clock::now();
        for record in records {
            requests::note_candidate_in(&mut tx, request_id, *record, &now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Raises the candidates not raised before, in one transaction: the
    /// queue mark, a no-match request back in the queue, the event, the
    /// audit row, the moderators' alert and "there is news" to the
    /// relative. `None` if every one was raised already (or the request
    /// stopped waiting); else whether the request was reopened.
    /// `records` are (id, external id).
    async fn raise_candidates(&self, request_id: i64, records: &[(i64, String)]) -> Result<Option<bool>, Error> {
        let mut tx = self.begin(Writer::Service).await?;
        let Some(req) = requests::request_in(&mut tx, request_id).await? else { return Ok(None) };
        if !(req.state.is_open() || req.state == State::ClosedNoMatch) {
            return Ok(None);
        }
        let mut new = Vec::new();
        let now = clock::now();
        for (record, external_id) in records {
            let inserted = requests::note_candidate_in(&mut tx, request_id, *record, &now).await?;
            if inserted && req.proposed_record_id != Some(*record) {
                new.push(external_id.as_str());
            }
        }
        if new.is_empty() {
            tx.commit().await?;
            return Ok(None);
        }
        let after = on_new_candidate(req.facts());
        let reopened = after.state != req.state;
        requests::mark_new_candidate_in(&mut tx, request_id, after.state, after.claimed_by, after.proposed_by, &now)
            .await?;
        let note = new.join(", ");
        let event = requests::Event {
            request_id,
            actor: "findkin",
            step: Some("new_candidate"),
            from: Some(req.state.as_str()),
            to: after.state.as_str(),
            note: Some(&note),
        };
        requests::add_event_in(&mut tx, &event).await?;
        let entry = crate::audit::Entry {
            actor_name: Some("findkin"),
            action: "request_new_candidate",
            target_type: Some("request"),
            target_id: Some(req.reference.clone()),
            details: Some(note.clone()),
            ..Default::default()
        };
        crate::audit::append(&mut tx, &entry).await?;
        staff_alerts::raise(&mut tx, AlertKind::Candidate, request_id).await?;
        relative_notice::tell(&mut tx, &req, News::Candidate).await?;
        tx.commit().await?;
        Ok(Some(reopened))
    }
}
