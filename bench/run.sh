#!/usr/bin/env bash
# `make bench`: every number issue 14 sets a target for, measured in one run
# on records generated here, then one Markdown table (stdout and
# $BENCH_DIR/report.md). Progress goes to stderr. See bench/README.md.
#
#   make bench                                  # 1,000,000 records (several minutes)
#   BENCH_N=100000 make bench                   # a quicker look
#   FINDKIN_BIN=... FINDKIN_SITE_ROOT=... bash bench/run.sh   # without make
#
# Two registries are built: BENCH_N records and a tenth of that (at least
# 20,000), each the dev evaluation records plus `findkin demo-data --seed 11`
# rows, so the dev queries (every kind) have their people in them.
#
# 1. import: `findkin import` and then `findkin reindex` of the large one
#    under /usr/bin/time (wall time, peak resident memory); the small one's
#    import too, for the record;
# 2. in process: `findkin eval --json` on both (one warm-up run, then three;
#    the median of each percentile is kept), and criterion
#    (server/benches/search.rs) on the large one for mean and 95% interval;
# 3. HTTP: one `findkin serve` (search limits off) under wrk, /api/v1/search
#    and the HTML /search page at each of BENCH_CONNECTIONS, BENCH_SECONDS
#    each, the dev queries in turn; the server's peak memory (VmHWM);
# 4. baselines: bench/baselines.py, PostgreSQL pg_trgm KNN and SQLite FTS5
#    on the same records, BENCH_BASELINE_QUERIES queries spread over the
#    file (both baselines take hundreds of ms a query at 1M).
#
# Servers listen on 127.0.0.1 only; every load is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${FINDKIN_BIN:-$TARGET/release/findkin}
SITE=${FINDKIN_SITE_ROOT:-$TARGET/site}
WORK=${BENCH_DIR:-$TARGET/bench}
N=${BENCH_N:-1000000}
SMALL=${BENCH_SMALL_N:-$((N / 10 > 20000 ? N / 10 : 20000))}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-8 32 128}
BASELINE_QUERIES=${BENCH_BASELINE_QUERIES:-200}
PG_DSN=${BENCH_PG_DSN:-host=127.0.0.1 port=5432 dbname=postgres user=postgres}
QUERIES=$ROOT/eval/dev/queries.jsonl
DEV_RECORDS=$ROOT/eval/dev/records.csv
DEV_ROWS=$(($(wc -l < "$DEV_RECORDS") - 1))
RESULTS=$WORK/results
VENV=$WORK/venv

say() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "no findkin binary at $BIN (make server)"
[ -f "$SITE/pkg/findkin.js" ] || die "no built site at $SITE (make site)"
[ "$N" -ge "$DEV_ROWS" ] && [ "$SMALL" -ge "$DEV_ROWS" ] || die "BENCH_N and BENCH_SMALL_N must be at least $DEV_ROWS (the dev records)"
for tool in wrk /usr/bin/time curl python3 pg_isready; do
    command -v "$tool" >/dev/null || die "$tool is missing (make bench installs wrk; Debian: apt-get install wrk time curl postgresql)"
done

mkdir -p "$WORK" "$RESULTS"
rm -f "$RESULTS"/*
SERVER=
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
}
trap cleanup EXIT

# Python for the baselines: psycopg in a venv of its own.
if [ ! -f "$VENV/.ready" ] || [ "$ROOT/bench/requirements.txt" -nt "$VENV/.ready" ]; then
    say "python venv for the baselines in $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$ROOT/bench/requirements.txt"
    touch "$VENV/.ready"
fi
# PostgreSQL for pg_trgm: start the local cluster if it is stopped.
pg_isready -q -h 127.0.0.1 -p 5432 || bash "$ROOT/tools/postgres-up.sh" >&2

# The criterion bench is compiled first, so a build error stops the run
# before anything is measured (--workspace: the features `make test` builds).
say "building the criterion bench"
cargo bench --workspace --bench search --no-run >&2 2>"$WORK/cargo-bench.log" \
    || { tail -30 "$WORK/cargo-bench.log" >&2; die "cargo bench --no-run failed"; }

# Records: N rows, the dev records last.
records() {
    local n=$1 csv=$WORK/records-$1.csv
    if [ ! -s "$csv" ]; then
        say "generating $n records ($DEV_ROWS dev + $((n - DEV_ROWS)) demo-data --seed 11)"
        "$BIN" demo-data --count $((n - DEV_ROWS)) --seed 11 > "$csv.tmp" 2>/dev/null
        tail -n +2 "$DEV_RECORDS" >> "$csv.tmp"
        mv "$csv.tmp" "$csv"
    fi
    echo "$csv"
}

# Wall seconds and peak resident KB of one command, into FILE.
timed() {
    local file=$1
    shift
    FINDKIN_LOG=warn /usr/bin/time -f "%e %M" -o "$file" "$@" > /dev/null 2>"$file.log" \
        || { tail -20 "$file.log" >&2; die "failed: $*"; }
}

# `findkin eval --json`: a warm-up run, then three kept.
evaluate() {
    local n=$1 data=$2
    say "eval at $n: warm-up, then 3 runs of $(wc -l < "$QUERIES") queries"
    # What the import and reindex wrote goes to disk first: written back
    # during the runs, it made the million's p50 a tenth slower.
    sync
    "$BIN" --data-dir "$data" eval "$QUERIES" --json > /dev/null 2>&1
    for i in 1 2 3; do
        "$BIN" --data-dir "$data" eval "$QUERIES" --json > "$RESULTS/eval-$n-$i.json" 2>/dev/null
    done
}

registry() {
    local n=$1 csv data=$WORK/data-$1
    csv=$(records "$n")
    rm -rf "$data"
    say "import of $n records"
    timed "$RESULTS/import-$n.time" "$BIN" --data-dir "$data" import "$csv"
    say "  $(awk '{printf "%.1f s, peak %.0f MB", $1, $2/1024}' "$RESULTS/import-$n.time")"
}

date -u +"%Y-%m-%d %H:%M UTC" > "$RESULTS/started"
cut -d' ' -f1-3 /proc/loadavg > "$RESULTS/loadavg"
git -C "$ROOT" rev-parse --short HEAD > "$RESULTS/commit" 2>/dev/null || echo unknown > "$RESULTS/commit"

# 1. Import, and the small registry's latency for the growth ratio.
if [ "$SMALL" -lt "$N" ]; then
    registry "$SMALL"
    evaluate "$SMALL" "$WORK/data-$SMALL"
    rm -rf "$WORK/data-$SMALL"
fi
registry "$N"
DATA=$WORK/data-$N
say "reindex of $N records"
timed "$RESULTS/reindex-$N.time" "$BIN" --data-dir "$DATA" reindex
say "  $(awk '{printf "%.1f s, peak %.0f MB", $1, $2/1024}' "$RESULTS/reindex-$N.time")"
du -sk "$DATA/findkin.db" "$DATA/index" > "$RESULTS/disk-$N"

# 2. In process.
evaluate "$N" "$DATA"
say "criterion at $N (search/public, search/staff; ${SECONDS_EACH} s each)"
FINDKIN_BENCH_DATA=$DATA FINDKIN_BENCH_QUERIES=$QUERIES CRITERION_HOME=$WORK/criterion \
    cargo bench --workspace --bench search -- --warm-up-time 3 --measurement-time "$SECONDS_EACH" \
    --noplot '^search/' > "$RESULTS/criterion.txt" 2>"$WORK/cargo-bench.log" \
    || { tail -30 "$WORK/cargo-bench.log" >&2; die "cargo bench failed"; }
for f in public staff; do
    cp "$WORK/criterion/search/$f/new/estimates.json" "$RESULTS/criterion-$f.json"
done

# 3. HTTP.
python3 bench/wrk_queries.py "$QUERIES" "$WORK/api.lua" /api/v1/search > "$WORK/api.first"
python3 bench/wrk_queries.py --form "$QUERIES" "$WORK/page.lua" /search > "$WORK/page.first"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
say "serve at $N on $URL (search limits off)"
FINDKIN_LOG=warn "$BIN" --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" --site-root "$SITE" \
    --search-rate-per-minute 0 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "$URL/healthz" >/dev/null || { tail -20 "$WORK/serve.log" >&2; die "the server did not start"; }
# Both doors answer with people before anything is timed.
curl -sf "$URL$(cat "$WORK/api.first")" | grep -q '"surname"' || die "/api/v1/search gave no hit for the first dev query"
curl -sf "$URL$(cat "$WORK/page.first")" | grep -q 'class="hit"' || die "the /search page showed no hit for the first dev query"
say "warming up (5 s on each door)"
for door in api page; do
    wrk -t2 -c8 -d5s -s "$WORK/$door.lua" "$URL" > /dev/null
done
for door in api page; do
    for c in $CONNECTIONS; do
        say "wrk $door c=$c for ${SECONDS_EACH} s"
        wrk -t2 -c"$c" -d"${SECONDS_EACH}s" --timeout 10s --latency -s "$WORK/$door.lua" "$URL" \
            > "$RESULTS/wrk-$door-$c.txt" &
        WRK=$!
        sleep $((SECONDS_EACH / 2))
        ls "/proc/$SERVER/task" | wc -l > "$RESULTS/threads-$door-$c"
        wait "$WRK"
    done
done
awk '/VmHWM/ {print $2}' "/proc/$SERVER/status" > "$RESULTS/serve-hwm-kb"
awk '/VmRSS/ {print $2}' "/proc/$SERVER/status" > "$RESULTS/serve-rss-kb"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=

# 4. Baselines on the same registry.
say "baselines: pg_trgm KNN and SQLite FTS5 on $N records, $BASELINE_QUERIES queries"
"$VENV/bin/python" "$ROOT/bench/baselines.py" --records "$(records "$N")" --queries "$QUERIES" \
    --findkin "$BIN" --findkin-data "$DATA" --pg-mode knn --pg-dsn "$PG_DSN" \
    --sample "$BASELINE_QUERIES" --json-out "$RESULTS/baselines.json" > "$RESULTS/baselines.md"

python3 "$ROOT/bench/report.py" --results "$RESULTS" --n "$N" --small "$SMALL" --seconds "$SECONDS_EACH" \
    --connections "$CONNECTIONS" --site "$SITE" | tee "$WORK/report.md"
say "report written to $WORK/report.md"
