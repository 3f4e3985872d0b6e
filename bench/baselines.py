#!/usr/bin/env python3
"""Compare findkin's name search with two trigram baselines on one query set.

Systems, all over the same records and queries:

* PostgreSQL ``pg_trgm`` over the normalized full name (surname + given
  name + patronymic, lowercased, ё→е), in one of two modes:
  ``--pg-mode knn``: a GiST ``gist_trgm_ops`` index and
  ``ORDER BY full_name <-> query LIMIT 10`` (nearest by trigram distance);
  ``--pg-mode threshold`` (the default): a GIN index, candidates from the
  ``%`` operator ranked by ``similarity()``, the threshold swept and the best
  one (by recall@10) reported.
* SQLite FTS5 with the ``trigram`` tokenizer: OR of the query words'
  trigrams, ranked by bm25.
* findkin itself, via ``findkin import`` and ``findkin eval --json``.

For the baselines a query with a birth year keeps only records whose
birth_date starts with that year or is empty, as findkin does.

Prints Markdown tables to stdout and progress to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import psycopg

TOP_K = 10
WORD_RE = re.compile(r"\w+")


# --------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Record:
    """One registry row, reduced to what the baselines index."""

    external_id: str
    full_name: str  # normalized: lowercase, ё→е
    birth_year: str  # first 4 characters of birth_date, or "" when unknown


@dataclass(frozen=True)
class Query:
    """One line of the query set."""

    id: str
    text: str
    birth_year: int | None
    expected: str | None
    kind: str


@dataclass
class Result:
    """Quality and latency of one system over the query set."""

    system: str
    recall_at_10: float
    mrr: float
    p50_ms: float
    p99_ms: float
    per_kind_recall: dict[str, float] = field(default_factory=dict)


def log(msg: str) -> None:
    """Print a progress line to stderr."""
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def normalize(text: str) -> str:
    """Lowercase and fold ё to е (the baselines' only normalization)."""
    return text.lower().replace("ё", "е")


def load_records(path: Path) -> list[Record]:
    """Read the registry CSV into normalized records."""
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parts = (row["surname"], row["given_name"], row["patronymic"])
            name = " ".join(p.strip() for p in parts if p and p.strip())
            out.append(Record(row["external_id"], normalize(name), (row["birth_date"] or "")[:4]))
    return out


def load_queries(path: Path) -> list[Query]:
    """Read the JSON-lines query set."""
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                out.append(Query(d["id"], d["query"], d.get("birth_year"), d.get("expected"), d["kind"]))
    return out


# --------------------------------------------------------------------------
# Metrics


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile, the same definition as `findkin eval`."""
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(round((len(s) - 1) * p), len(s) - 1)]


def quality(queries: list[Query], ranked: list[list[str]]) -> tuple[float, float, dict[str, float]]:
    """Recall@10, MRR and per-kind recall@10 over queries with an expected id."""
    hits, rr, n = 0, 0.0, 0
    kind_hits: dict[str, int] = defaultdict(int)
    kind_n: dict[str, int] = defaultdict(int)
    for q, ids in zip(queries, ranked):
        if q.expected is None:
            continue
        n += 1
        kind_n[q.kind] += 1
        top = ids[:TOP_K]
        if q.expected in top:
            hits += 1
            kind_hits[q.kind] += 1
            rr += 1.0 / (top.index(q.expected) + 1)
    per_kind = {k: kind_hits[k] / kind_n[k] for k in kind_n}
    return (hits / n if n else 0.0), (rr / n if n else 0.0), per_kind


def run_queries(search: Callable[[Query], list[str]], queries: list[Query]) -> tuple[list[list[str]], list[float]]:
    """Run every query once to warm up (and collect results), then again timed."""
    ranked = [search(q) for q in queries]
    times = []
    for q in queries:
        t0 = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - t0) * 1000.0)
    return ranked, times


def measure(system: str, search: Callable[[Query], list[str]], queries: list[Query]) -> Result:
    """Quality and warm latency of one search function."""
    ranked, times = run_queries(search, queries)
    r10, mrr, per_kind = quality(queries, ranked)
    return Result(system, r10, mrr, percentile(times, 0.5), percentile(times, 0.99), per_kind)


# --------------------------------------------------------------------------
# (a) PostgreSQL pg_trgm


PG_KNN_SQL = """
SELECT external_id FROM {table}
WHERE (%(year)s::text IS NULL OR birth_year = %(year)s::text OR birth_year = '')
ORDER BY full_name <-> %(q)s
LIMIT {k}
"""

PG_SEARCH_SQL = """
SELECT external_id FROM {table}
WHERE full_name %% %(q)s
  AND (%(year)s::text IS NULL OR birth_year = %(year)s::text OR birth_year = '')
ORDER BY similarity(full_name, %(q)s) DESC, external_id
LIMIT {k}
"""


def pg_connect(dsn: str | None) -> psycopg.Connection:
    """Connect with the given DSN, or try user postgres then root on 127.0.0.1."""
    dsns = [dsn] if dsn else [
        "host=127.0.0.1 port=5432 dbname=test user=postgres",
        "host=127.0.0.1 port=5432 dbname=test user=root",
    ]
    last: Exception | None = None
    for d in dsns:
        try:
            return psycopg.connect(d, autocommit=True)
        except psycopg.OperationalError as e:
            last = e
    raise SystemExit(f"cannot connect to PostgreSQL: {last}")


def pg_load(conn: psycopg.Connection, table: str, records: Iterable[Record], knn: bool = False) -> None:
    """Create the table, COPY the records in, build the trigram index:
    GiST for KNN ordering, GIN for the `%` operator."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    conn.execute(f"CREATE TABLE {table} (external_id text PRIMARY KEY, full_name text NOT NULL, birth_year text NOT NULL)")
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} (external_id, full_name, birth_year) FROM STDIN") as cp:
            for r in records:
                cp.write_row((r.external_id, r.full_name, r.birth_year))
    conn.execute("SET maintenance_work_mem = '256MB'")
    if knn:
        conn.execute(f"CREATE INDEX {table}_trgm ON {table} USING gist (full_name gist_trgm_ops)")
    else:
        conn.execute(f"CREATE INDEX {table}_trgm ON {table} USING gin (full_name gin_trgm_ops)")
    conn.execute(f"ANALYZE {table}")


def pg_search_fn(conn: psycopg.Connection, table: str, knn: bool = False) -> Callable[[Query], list[str]]:
    """A search function, top 10: nearest by trigram distance (KNN), or
    `%` candidates ranked by similarity."""
    sql = (PG_KNN_SQL if knn else PG_SEARCH_SQL).format(table=table, k=TOP_K)

    def search(q: Query) -> list[str]:
        year = str(q.birth_year) if q.birth_year is not None else None
        rows = conn.execute(sql, {"q": normalize(q.text), "year": year}).fetchall()
        return [r[0] for r in rows]

    return search


def pg_set_threshold(conn: psycopg.Connection, threshold: float) -> None:
    """Set the similarity threshold used by the `%` operator in this session."""
    conn.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", (str(threshold),))


def bench_pg(dsn: str | None, records: list[Record], queries: list[Query],
             thresholds: list[float]) -> tuple[Result, list[tuple[float, float, float]]]:
    """Sweep thresholds (quality only), then time the best one. Drops its table."""
    conn = pg_connect(dsn)
    table = f"bench_records_{os.getpid()}"
    try:
        log(f"PostgreSQL: loading {len(records)} records into {table}")
        pg_load(conn, table, records)
        search = pg_search_fn(conn, table)
        sweep = []
        for t in thresholds:
            pg_set_threshold(conn, t)
            r10, mrr, _ = quality(queries, [search(q) for q in queries])
            log(f"PostgreSQL: threshold {t}: recall@10 {r10:.3f}, MRR {mrr:.3f}")
            sweep.append((t, r10, mrr))
        best = max(sweep, key=lambda s: (s[1], s[2], s[0]))[0]
        pg_set_threshold(conn, best)
        log(f"PostgreSQL: timing with threshold {best}")
        result = measure(f"PostgreSQL pg_trgm (threshold {best})", search, queries)
        return result, sweep
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.close()
        log(f"PostgreSQL: dropped {table}")


def bench_pg_knn(dsn: str | None, records: list[Record], queries: list[Query]) -> Result:
    """Load with a GiST index, check the plan walks it, time KNN. Drops its table."""
    conn = pg_connect(dsn)
    table = f"bench_records_{os.getpid()}"
    try:
        log(f"PostgreSQL: loading {len(records)} records into {table} (GiST index)")
        started = time.perf_counter()
        pg_load(conn, table, records, knn=True)
        log(f"PostgreSQL: loaded and indexed in {time.perf_counter() - started:.0f} s")
        plan = conn.execute("EXPLAIN " + PG_KNN_SQL.format(table=table, k=TOP_K),
                            {"q": "иванов иван", "year": None}).fetchall()
        plan_text = "\n".join(r[0] for r in plan)
        if f"{table}_trgm" not in plan_text:
            log(f"PostgreSQL: warning, the KNN plan does not use the GiST index:\n{plan_text}")
        log(f"PostgreSQL: timing KNN over {len(queries)} queries")
        return measure("PostgreSQL pg_trgm KNN (GiST, <->)", pg_search_fn(conn, table, knn=True), queries)
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.close()
        log(f"PostgreSQL: dropped {table}")


# --------------------------------------------------------------------------
# (b) SQLite FTS5 trigram


def fts_query(text: str) -> str | None:
    """OR of the distinct trigrams of the query's words, each quoted.

    Words shorter than 3 characters (initials) give no trigram; a query
    with none returns None (no results).
    """
    grams: list[str] = []
    for word in WORD_RE.findall(normalize(text)):
        for i in range(len(word) - 2):
            g = word[i:i + 3]
            if g not in grams:
                grams.append(g)
    if not grams:
        return None
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)


def sqlite_load(records: Iterable[Record]) -> sqlite3.Connection:
    """An in-memory FTS5 trigram table over the full names."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE names USING fts5("
                 "full_name, external_id UNINDEXED, birth_year UNINDEXED, tokenize='trigram')")
    conn.executemany("INSERT INTO names (full_name, external_id, birth_year) VALUES (?, ?, ?)",
                     ((r.full_name, r.external_id, r.birth_year) for r in records))
    conn.execute("INSERT INTO names (names) VALUES ('optimize')")
    conn.commit()
    return conn


def sqlite_search_fn(conn: sqlite3.Connection) -> Callable[[Query], list[str]]:
    """A search function: trigram OR query ranked by bm25, top 10."""
    sql = ("SELECT external_id FROM names WHERE names MATCH ? "
           "AND (? IS NULL OR birth_year = ? OR birth_year = '') "
           f"ORDER BY bm25(names), external_id LIMIT {TOP_K}")

    def search(q: Query) -> list[str]:
        match = fts_query(q.text)
        if match is None:
            return []
        year = str(q.birth_year) if q.birth_year is not None else None
        return [r[0] for r in conn.execute(sql, (match, year, year))]

    return search


def bench_sqlite(records: list[Record], queries: list[Query]) -> Result:
    """Load, run and time the SQLite FTS5 trigram baseline."""
    version = tuple(int(x) for x in sqlite3.sqlite_version.split("."))
    if version < (3, 34, 0):
        raise SystemExit(f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (need >= 3.34)")
    log(f"SQLite {sqlite3.sqlite_version}: loading {len(records)} records")
    conn = sqlite_load(records)
    try:
        log("SQLite: running queries")
        return measure("SQLite FTS5 trigram (bm25)", sqlite_search_fn(conn), queries)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# (c) findkin


def findkin_eval(binary: Path, data_dir: str, queries_path: Path) -> dict:
    """`findkin eval --json` run twice, the second kept, so the OS cache is
    warm as for the baselines (each eval is a fresh process)."""
    base = [str(binary), "--data-dir", data_dir]
    for attempt in (1, 2):
        log(f"findkin: running eval ({attempt}/2)")
        proc = subprocess.run(base + ["eval", str(queries_path), "--json"], check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return json.loads(proc.stdout)


def bench_findkin(binary: Path, records_path: Path, queries_path: Path, data_dir: Path | None = None) -> Result:
    """Read `findkin eval --json` on `data_dir`, or on a temporary data dir
    the records are imported into."""
    if data_dir is not None:
        log(f"findkin: using the registry in {data_dir}")
        report = findkin_eval(binary, str(data_dir), queries_path)
    else:
        with tempfile.TemporaryDirectory(prefix="findkin-bench-") as tmp:
            log(f"findkin: importing into {tmp}")
            subprocess.run([str(binary), "--data-dir", tmp, "import", str(records_path)], check=True,
                           stdout=subprocess.DEVNULL, stderr=sys.stderr)
            report = findkin_eval(binary, tmp, queries_path)
    per_kind = {k: v["recall_at_10"] for k, v in report["per_kind"].items() if v.get("positives", 0) > 0}
    return Result("findkin", report["overall"]["recall_at_10"], report["overall"]["mrr"],
                  report["latency"]["p50_ms"], report["latency"]["p99_ms"], per_kind)


# --------------------------------------------------------------------------
# Output


def markdown_table(header: list[str], rows: list[list[str]], align: str) -> str:
    """A Markdown table; align has one 'l' or 'r' per column."""
    sep = ["---" if a == "l" else "---:" for a in align]
    lines = [header, sep] + rows
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def summary_table(results: list[Result]) -> str:
    """Overall recall@10, MRR and latency per system."""
    rows = [[r.system, f"{r.recall_at_10:.3f}", f"{r.mrr:.3f}", f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}"]
            for r in results]
    return markdown_table(["System", "Recall@10", "MRR", "p50 ms", "p99 ms"], rows, "lrrrr")


def per_kind_table(results: list[Result]) -> str:
    """Recall@10 per query kind (rows) and system (columns)."""
    kinds = sorted({k for r in results for k in r.per_kind_recall})
    rows = [[k] + [f"{r.per_kind_recall[k]:.3f}" if k in r.per_kind_recall else "–" for r in results]
            for k in kinds]
    return markdown_table(["Kind"] + [r.system for r in results], rows, "l" + "r" * len(results))


def sweep_table(sweep: list[tuple[float, float, float]]) -> str:
    """pg_trgm threshold sweep."""
    rows = [[f"{t:g}", f"{r10:.3f}", f"{mrr:.3f}"] for t, r10, mrr in sweep]
    return markdown_table(["pg_trgm similarity threshold", "Recall@10", "MRR"], rows, "rrr")


def ratio_lines(results: list[Result]) -> list[str]:
    """How many times faster findkin's p50 and p99 are than each baseline's."""
    ours = next((r for r in results if r.system == "findkin"), None)
    if ours is None or ours.p50_ms <= 0 or ours.p99_ms <= 0:
        return []
    return [f"findkin's p50 is {r.p50_ms / ours.p50_ms:,.0f}× faster than {r.system}: "
            f"{ours.p50_ms:.2f} ms against {r.p50_ms:.2f} ms (p99: {r.p99_ms / ours.p99_ms:,.0f}×, "
            f"{ours.p99_ms:.2f} ms against {r.p99_ms:.2f} ms), at recall@10 {ours.recall_at_10:.3f} "
            f"against {r.recall_at_10:.3f}."
            for r in results if r is not ours]


def report(results: list[Result], sweep: list[tuple[float, float, float]] | None,
           n_records: int, queries: list[Query], sample_note: str = "") -> str:
    """The whole Markdown output."""
    positives = sum(q.expected is not None for q in queries)
    parts = [
        f"{n_records} records, {len(queries)} queries{sample_note} ({positives} with an expected record; "
        f"recall and MRR over those, latency over all queries).",
        summary_table(results),
        "\n".join(ratio_lines(results)),
        "Recall@10 per query kind:",
        per_kind_table(results),
    ]
    if sweep:
        parts += ["pg_trgm threshold sweep (the best by recall@10 is used above):", sweep_table(sweep)]
    parts.append(
        "Baseline latency is one warm query timed from Python (driver round trip included); "
        "findkin's is what `findkin eval` measures in-process for the public search (the one "
        "relatives run; second of two eval runs, so the OS cache is warm).")
    return "\n\n".join(p for p in parts if p)


def sample_lines(lines: list[str], n: int) -> list[str]:
    """`n` lines spread evenly over the file (every kind keeps its share), or all."""
    if n <= 0 or n >= len(lines):
        return lines
    return [lines[i * len(lines) // n] for i in range(n)]


def default_findkin() -> Path:
    """The findkin binary: $FINDKIN_BIN, else $CARGO_TARGET_DIR/release/findkin,
    else target/release/findkin in this repository."""
    if os.environ.get("FINDKIN_BIN"):
        return Path(os.environ["FINDKIN_BIN"])
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "findkin"
    return Path(__file__).resolve().parent.parent / "target" / "release" / "findkin"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=Path, required=True, help="registry CSV (format in docs/ARCHITECTURE.md)")
    p.add_argument("--queries", type=Path, required=True, help="query set, JSON lines")
    p.add_argument("--findkin", type=Path, default=default_findkin(),
                   help="findkin binary (default: %(default)s)")
    p.add_argument("--pg-dsn", default=None,
                   help="PostgreSQL DSN (default: 127.0.0.1:5432, db test, user postgres then root)")
    p.add_argument("--pg-mode", choices=["threshold", "knn"], default="threshold",
                   help="pg_trgm: `%%` with a threshold sweep (GIN), or KNN `<->` (GiST) (default: %(default)s)")
    p.add_argument("--pg-thresholds", default="0.1,0.2,0.3,0.4",
                   help="comma-separated pg_trgm similarity thresholds to sweep (default: %(default)s)")
    p.add_argument("--sample", type=int, default=0,
                   help="run only this many queries, spread evenly over the file, on every system (0: all)")
    p.add_argument("--findkin-data", type=Path, default=None,
                   help="an already imported findkin data dir holding --records (default: import into a temporary one)")
    p.add_argument("--json-out", type=Path, default=None, help="also write the results as JSON here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run all three systems and print the tables."""
    args = parse_args(argv)
    thresholds = [float(x) for x in args.pg_thresholds.split(",") if x.strip()]
    records = load_records(args.records)
    all_lines = [line for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = sample_lines(all_lines, args.sample)
    sample_note = f" spread evenly over the {len(all_lines)} of the file" if len(lines) < len(all_lines) else ""
    with tempfile.TemporaryDirectory(prefix="findkin-bench-q-") as tmp:
        queries_path = Path(tmp) / "queries.jsonl"
        queries_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        queries = load_queries(queries_path)
        log(f"{len(records)} records, {len(queries)} queries{sample_note}")
        sweep = None
        if args.pg_mode == "knn":
            pg_result = bench_pg_knn(args.pg_dsn, records, queries)
        else:
            pg_result, sweep = bench_pg(args.pg_dsn, records, queries, thresholds)
        sqlite_result = bench_sqlite(records, queries)
        findkin_result = bench_findkin(args.findkin, args.records, queries_path, args.findkin_data)
    results = [findkin_result, pg_result, sqlite_result]
    print(report(results, sweep, len(records), queries, sample_note))
    if args.json_out:
        args.json_out.write_text(json.dumps({
            "records": len(records),
            "queries": len(queries),
            "queries_in_file": len(all_lines),
            "results": [r.__dict__ for r in results],
            "ratios": ratio_lines(results),
        }, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
