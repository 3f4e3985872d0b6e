//! In-process search latency under criterion (`make bench`, bench/README.md).
//!
//! Opens an already imported registry (`FINDKIN_BENCH_DATA`, a findkin data
//! dir) the way `findkin eval` does and times one search per iteration,
//! taking the queries of `FINDKIN_BENCH_QUERIES` (default
//! eval/dev/queries.jsonl) in turn, so the mean is over the whole mix of
//! query kinds:
//!
//! - `search/public`: the search relatives run (only hits the public sees);
//! - `search/staff`: the staff search (top 10 with near misses);
//! - `public_by_kind/KIND`: the public search over one kind of query.
//!
//! ```text
//! FINDKIN_BENCH_DATA=/path/to/data cargo bench -p findkin --bench search [-- FILTER]
//! ```
//!
//! Without `FINDKIN_BENCH_DATA` nothing is measured (so `cargo test
//! --benches` passes on a machine with no registry).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use findkin::eval::{parse_queries, EvalQuery};
use findkin::registry::Registry;
use findkin_search::SearchOptions;

const PUBLIC: SearchOptions = SearchOptions { limit: 10, public_only: true };
const STAFF: SearchOptions = SearchOptions { limit: 10, public_only: false };

/// The registry in `data_dir`, its index brought up to date and kept
/// resident as `findkin eval` and `serve` do (the update is a no-op after
/// `findkin import`).
fn open_registry(data_dir: &Path) -> Registry {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let registry = Registry::open(data_dir, None, Default::default())
            .await
            .unwrap_or_else(|e| panic!("cannot open the registry in {}: {e}", data_dir.display()));
        registry.sync(&mut |_, _| {}).await.expect("the index follows the database");
        registry.index.keep_resident().expect("the index kept resident");
        registry
    })
}

fn load_queries() -> Vec<EvalQuery> {
    let path = std::env::var_os("FINDKIN_BENCH_QUERIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../eval/dev/queries.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let queries = parse_queries(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!queries.is_empty(), "{} holds no query", path.display());
    queries
}

/// One search per iteration, the queries taken in turn.
fn rotate(
    c: &mut Criterion,
    group: &str,
    name: &str,
    registry: &Registry,
    queries: &[&EvalQuery],
    opts: SearchOptions,
) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    let mut next = 0usize;
    g.bench_function(name, |b| {
        b.iter(|| {
            let q = queries[next % queries.len()];
            next += 1;
            black_box(registry.search(black_box(&q.query), q.birth_year, opts).ok())
        })
    });
    g.finish();
}

fn search(c: &mut Criterion) {
    let Some(data_dir) = std::env::var_os("FINDKIN_BENCH_DATA").map(PathBuf::from) else {
        eprintln!("FINDKIN_BENCH_DATA is not set (a findkin data dir to search): nothing measured");
        return;
    };
    let registry = open_registry(&data_dir);
    let queries = load_queries();
    let all: Vec<&EvalQuery> = queries.iter().collect();
    rotate(c, "search", "public", &registry, &all, PUBLIC);
    rotate(c, "search", "staff", &registry, &all, STAFF);
    let mut kinds: BTreeMap<&str, Vec<&EvalQuery>> = BTreeMap::new();
    for q in &queries {
        kinds.entry(q.kind.as_str()).or_default().push(q);
    }
    for (kind, qs) in &kinds {
        rotate(c, "public_by_kind", kind, &registry, qs, PUBLIC);
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
