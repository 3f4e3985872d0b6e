#!/usr/bin/env bash
# HTTP search throughput and latency (see docs/PERFORMANCE.md): wrk on this
# machine against one `findkin serve`, the dev queries in turn, search
# limits off, at 8, 32 and 128 connections; then the server's resident
# memory and thread count.
#
#   DATA=/path/to/data-dir bash bench/http_search.sh   # a registry to serve
#   bash bench/http_search.sh                          # builds N (default 1,000,000) records first
#
# Everything listens on 127.0.0.1; each run is bounded by SECONDS_EACH.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FINDKIN_BIN:-${CARGO_TARGET_DIR:-target}/release/findkin}
SITE=${FINDKIN_SITE_ROOT:-${CARGO_TARGET_DIR:-target}/site}
SECONDS_EACH=${SECONDS_EACH:-15}
N=${N:-1000000}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [ -z "${DATA:-}" ]; then
    DATA="$WORK/data"
    echo "== registry: $N rows (20,000 dev + generated)" >&2
    "$BIN" demo-data --count $((N - 20000)) --seed 11 > "$WORK/all.csv"
    tail -n +2 eval/dev/records.csv >> "$WORK/all.csv"
    FINDKIN_LOG=warn "$BIN" --data-dir "$DATA" import "$WORK/all.csv" >&2
fi
python3 bench/wrk_queries.py eval/dev/queries.jsonl "$WORK/queries.lua" /api/v1/search > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
FINDKIN_LOG=warn "$BIN" --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" --site-root "$SITE" \
    --search-rate-per-minute 0 &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
# Warm the index pages into the cache.
wrk -t2 -c8 -d5s -s "$WORK/queries.lua" "http://127.0.0.1:$PORT" > /dev/null
printf "| connections | requests/s | p50 | p99 | non-2xx |\n|---:|---:|---:|---:|---:|\n"
for c in 8 32 128; do
    wrk -t2 -c"$c" -d"${SECONDS_EACH}s" --timeout 10s --latency -s "$WORK/queries.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
    bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")
    threads=$(ls "/proc/$SERVER/task" | wc -l)
    echo "| $c | $rps | $p50 | $p99 | ${bad:-0} |  <!-- threads now: $threads -->"
done
grep VmHWM "/proc/$SERVER/status" | awk '{printf "serve peak resident memory: %.0f MB\n", $2/1024}'
