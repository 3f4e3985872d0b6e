#!/usr/bin/env bash
# Two or more findkin binaries compared on the same registry, in turn, so
# that this machine's drift (about 20 % from one minute to the next) falls
# on all of them alike: for each binary a `findkin serve` with search limits
# off, a 3 s warm-up, then wrk at 32 connections for SECONDS_EACH seconds.
# Prints requests/s, p99 and the server's CPU per request (from
# /proc/PID/stat, in 10 ms ticks over thousands of requests).
#
#   DATA=/path/to/data-dir bash bench/ab_http.sh api  old/findkin new/findkin
#   DATA=/path/to/data-dir bash bench/ab_http.sh html old/findkin new/findkin
#
# Everything listens on 127.0.0.1; each run is bounded by SECONDS_EACH.
set -euo pipefail
cd "$(dirname "$0")/.."
DOOR=${1:?api or html}
shift
SITE=${FINDKIN_SITE_ROOT:-${CARGO_TARGET_DIR:-target}/site}
SECONDS_EACH=${SECONDS_EACH:-8}
ROUNDS=${ROUNDS:-2}
: "${DATA:?DATA=/path/to/a/data-dir with a registry}"
case "$DOOR" in api) form="" path=/api/v1/search ;; html) form=--form path=/search ;; *) echo "api or html" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
# shellcheck disable=SC2086 # $form is one flag or nothing
python3 bench/wrk_queries.py $form eval/dev/queries.jsonl "$WORK/queries.lua" "$path" > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for round in $(seq 1 "$ROUNDS"); do
    for bin in "$@"; do
        FINDKIN_LOG=warn "$bin" --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" --site-root "$SITE" \
            --search-rate-per-minute 0 > /dev/null 2>&1 &
        SERVER=$!
        for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
        wrk -t2 -c32 -d3s -s "$WORK/queries.lua" "http://127.0.0.1:$PORT" > /dev/null
        before=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
        wrk -t2 -c32 -d"${SECONDS_EACH}s" --latency -s "$WORK/queries.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
        after=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
        n=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
        rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
        p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
        tick=$(getconf CLK_TCK)
        cpu=$(python3 -c "print(f'{($after - $before) * 1000 / $tick / $n:.3f}')")
        echo "round $round  $bin  $DOOR c=32: $rps req/s, p99 $p99, server CPU $cpu ms per request"
        kill "$SERVER"
        wait "$SERVER" 2>/dev/null || true
    done
done
