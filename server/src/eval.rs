//! `findkin eval`: search quality and latency on a query set (JSON lines,
//! format in docs/ARCHITECTURE.md) against the current registry.

use std::collections::BTreeMap;
use std::time::Instant;

use findkin_search::SearchOptions;
use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::Error;

#[derive(Debug, Deserialize)]
pub struct EvalQuery {
    pub id: String,
    pub query: String,
    pub birth_year: Option<u16>,
    pub expected: Option<String>,
    pub kind: String,
}

/// Parses the query file; a bad line is reported with its number.
pub fn parse_queries(text: &str) -> Result<Vec<EvalQuery>, Error> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| Error::Refused(format!("query file line {}: {e}", i + 1))))
        .collect()
}

/// Quality numbers of one group of queries.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Scores {
    pub queries: usize,
    /// Queries whose person is in the registry.
    pub positives: usize,
    pub recall_at_1: f64,
    pub recall_at_10: f64,
    pub mrr: f64,
    /// Positives whose person the public search shows.
    pub public_recall: f64,
    /// `expected: null` queries.
    pub negatives: usize,
    /// Share of negatives with an empty public result.
    pub negative_empty_rate: f64,
}

#[derive(Debug, Default)]
struct Tally {
    queries: usize,
    positives: usize,
    hit1: usize,
    hit10: usize,
    rr: f64,
    public_hit: usize,
    negatives: usize,
    negative_empty: usize,
}

impl Tally {
    fn scores(&self) -> Scores {
        let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        Scores {
            queries: self.queries,
            positives: self.positives,
            recall_at_1: share(self.hit1, self.positives),
            recall_at_10: share(self.hit10, self.positives),
            mrr: if self.positives == 0 { 0.0 } else { self.rr / self.positives as f64 },
            public_recall: share(self.public_hit, self.positives),
            negatives: self.negatives,
            negative_empty_rate: share(self.negative_empty, self.negatives),
        }
    }
}

/// Milliseconds per search of the public kind (what relatives run); the
/// staff search (top 10 with near misses) is timed separately.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub staff_p50_ms: f64,
    pub staff_p99_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub overall: Scores,
    pub per_kind: BTreeMap<String, Scores>,
    pub latency: Latency,
    /// Positives not in the top 10, and negatives the public would see: ids, for reading.
    pub misses: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs every query as staff would (top 10) and as the public would.
pub fn run(registry: &Registry, queries: &[EvalQuery], progress: &mut dyn FnMut(usize)) -> Report {
    let mut overall = Tally::default();
    let mut kinds: BTreeMap<String, Tally> = BTreeMap::new();
    let mut times = Vec::with_capacity(queries.len());
    let mut staff_times = Vec::with_capacity(queries.len());
    let mut misses = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let started = Instant::now();
        let staff = registry.search(&q.query, q.birth_year, SearchOptions { limit: 10, public_only: false });
        staff_times.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let public = registry.search(&q.query, q.birth_year, SearchOptions { limit: 10, public_only: true });
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let staff = staff.unwrap_or_default();
        let public = public.unwrap_or_default();
        let kind = kinds.entry(q.kind.clone()).or_default();
        for t in [&mut overall, kind] {
            t.queries += 1;
            match &q.expected {
                Some(want) => {
                    t.positives += 1;
                    if let Some(pos) = staff.iter().position(|h| &h.record.external_id == want) {
                        t.hit10 += 1;
                        t.hit1 += usize::from(pos == 0);
                        t.rr += 1.0 / (pos as f64 + 1.0);
                    }
                    t.public_hit += usize::from(public.iter().any(|h| &h.record.external_id == want));
                }
                None => {
                    t.negatives += 1;
                    t.negative_empty += usize::from(public.is_empty());
                }
            }
        }
        let missed = match &q.expected {
            Some(want) => !staff.iter().any(|h| &h.record.external_id == want),
            None => !public.is_empty(),
        };
        if missed {
            misses.push(q.id.clone());
        }
        progress(i + 1);
    }
    times.sort_by(f64::total_cmp);
    staff_times.sort_by(f64::total_cmp);
    Report {
        overall: overall.scores(),
        per_kind: kinds.into_iter().map(|(k, t)| (k, t.scores())).collect(),
        latency: Latency {
            p50_ms: percentile(&times, 0.5),
            p99_ms: percentile(&times, 0.99),
            max_ms: times.last().copied().unwrap_or(0.0),
            staff_p50_ms: percentile(&staff_times, 0.5),
            staff_p99_ms: percentile(&staff_times, 0.99),
        },
        misses,
    }
}

impl Report {
    /// A plain-text table for people.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<24} {:>5} {:>9} {:>10} {:>7} {:>8} {:>10}\n",
            "kind", "n", "recall@1", "recall@10", "MRR", "public", "neg.empty"
        );
        let row = |name: &str, sc: &Scores| {
            let neg = if sc.negatives > 0 { format!("{:.3}", sc.negative_empty_rate) } else { "-".into() };
            let pos = |v: f64| if sc.positives > 0 { format!("{v:.3}") } else { "-".into() };
            format!(
                "{:<24} {:>5} {:>9} {:>10} {:>7} {:>8} {:>10}\n",
                name,
                sc.queries,
                pos(sc.recall_at_1),
                pos(sc.recall_at_10),
                pos(sc.mrr),
                pos(sc.public_recall),
                neg
            )
        };
        for (k, sc) in &self.per_kind {
            s.push_str(&row(k, sc));
        }
        s.push_str(&row("OVERALL", &self.overall));
        s.push_str(&format!(
            "latency per public search: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; staff search: p50 {:.2} ms, p99 {:.2} ms\n",
            self.latency.p50_ms, self.latency.p99_ms, self.latency.max_ms, self.latency.staff_p50_ms, self.latency.staff_p99_ms
        ));
        s
    }
}
