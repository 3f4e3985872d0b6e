#!/usr/bin/env bash
# Load test: one findkin replica behind a local nginx, then two, on one
# PostgreSQL database. Prints requests/s and latency for the public search
# API (wrk, same machine) for each. Everything listens on 127.0.0.1.
#
#   FINDKIN_BIN=target/release/findkin FINDKIN_SITE_ROOT=target/site bash bench/replicas.sh
#
# Needs PostgreSQL at FINDKIN_TEST_PG (default postgres://postgres@127.0.0.1:5432),
# and nginx and wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${FINDKIN_BIN:-target/release/findkin}"
SITE="${FINDKIN_SITE_ROOT:-target/site}"
PG="${FINDKIN_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
SECONDS_EACH="${SECONDS_EACH:-20}"
CONNECTIONS="${CONNECTIONS:-32}"
DB="findkin_bench_replicas"

for tool in nginx wrk; do
    command -v "$tool" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk; }
done
bash tools/postgres-up.sh >/dev/null
psql -X -q -d "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
URL="$PG/$DB"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    sleep 1
    psql -X -q -d "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The fictional demo registry (20,000 people), and queries of its names.
"$BIN" demo-data --count 20000 --seed 1 > "$WORK/demo.csv"
FINDKIN_DATABASE_URL="$URL" "$BIN" --data-dir "$WORK/cli" import "$WORK/demo.csv" >/dev/null
python3 - "$WORK/demo.csv" "$WORK/queries.lua" <<'EOF'
import csv, sys, urllib.parse
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))[:2000]
paths = ['"/api/v1/search?q=' + urllib.parse.quote(f"{r['surname']} {r['given_name']}") + '"' for r in rows]
with open(sys.argv[2], "w") as f:
    f.write("local paths = {" + ",".join(paths) + "}\n")
    f.write("local i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
EOF

start_replica() { # port
    FINDKIN_DATABASE_URL="$URL" FINDKIN_LOG=warn "$BIN" --data-dir "$WORK/r$1" serve --addr "127.0.0.1:$1" \
        --site-root "$SITE" --search-rate-per-minute 0 --search-global-per-second 1000000 \
        --trusted-proxies 127.0.0.1 &
    PIDS+=($!)
    for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.5; done
    echo "replica on $1 did not start" >&2; exit 1
}

nginx_with() { # ports...
    [ -f "$WORK/nginx.pid" ] && { kill "$(cat "$WORK/nginx.pid")"; sleep 1; }
    {
        echo "pid $WORK/nginx.pid; error_log $WORK/nginx.err warn; worker_processes 1; daemon on;"
        echo "events { worker_connections 4096; }"
        echo "http { access_log off; upstream findkin { least_conn;"
        for p in "$@"; do echo "server 127.0.0.1:$p;"; done
        echo "keepalive 64; }"
        echo "server { listen 127.0.0.1:8088; location / { proxy_pass http://findkin; proxy_http_version 1.1;"
        echo "proxy_set_header Connection \"\"; proxy_set_header X-Forwarded-For \$remote_addr; } } }"
    } > "$WORK/nginx.conf"
    nginx -c "$WORK/nginx.conf" -p "$WORK"
    sleep 1
}

measure() { # label
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -s "$WORK/queries.lua" http://127.0.0.1:8088 > "$WORK/wrk.txt"
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")
    printf "%-12s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n" "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

start_replica 3101
start_replica 3102
sleep 3 # both followers have indexed the registry
echo "nginx on 127.0.0.1:8088, wrk -c$CONNECTIONS for ${SECONDS_EACH}s each, $(nproc) cores:"
nginx_with 3101
measure "1 replica"
nginx_with 3101 3102
measure "2 replicas"
