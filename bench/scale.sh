#!/usr/bin/env bash
# The 1,000,000-record benchmark (see docs/PERFORMANCE.md): import time,
# per-query search latency in process (warm, every query kind), and the
# resident memory of `findkin serve` holding the registry.
#
#   bash bench/scale.sh            # N=1000000 by default
#   N=200000 bash bench/scale.sh   # a quicker look
#
# The registry is the dev evaluation records plus generated demo records up
# to N rows, so the dev queries (all kinds) still have their people in it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FINDKIN_BIN:-${CARGO_TARGET_DIR:-target}/release/findkin}
SITE=${FINDKIN_SITE_ROOT:-${CARGO_TARGET_DIR:-target}/site}
N=${N:-1000000}
DEV=eval/dev
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== registry: $N rows (20,000 dev + $((N - 20000)) generated)" >&2
"$BIN" demo-data --count $((N - 20000)) --seed 11 > "$WORK/all.csv"
tail -n +2 "$DEV/records.csv" >> "$WORK/all.csv"
ls -l "$WORK/all.csv" | awk '{printf "csv size: %.0f MB\n", $5/1e6}'

echo "== import" >&2
start=$(date +%s.%N)
FINDKIN_LOG=warn /usr/bin/time -f "import: max RSS %M KB" "$BIN" --data-dir "$WORK/data" import "$WORK/all.csv"
end=$(date +%s.%N)
echo "import wall time: $(echo "$end - $start" | bc) s"
du -sh "$WORK/data/findkin.db" "$WORK/data/index" | sed 's/^/on disk: /'

echo "== search latency (in process; second of two runs, so warm)" >&2
"$BIN" --data-dir "$WORK/data" eval "$DEV/queries.jsonl" > /dev/null
"$BIN" --data-dir "$WORK/data" eval "$DEV/queries.jsonl"

echo "== serve: resident memory after answering every dev query over HTTP" >&2
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
FINDKIN_LOG=warn "$BIN" --data-dir "$WORK/data" serve --addr "127.0.0.1:$PORT" --site-root "$SITE" --search-rate-per-minute 0 &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
python3 - "$PORT" "$DEV/queries.jsonl" <<'PY'
import json, sys, time, urllib.parse, urllib.request
port, path = sys.argv[1], sys.argv[2]
times = []
for line in open(path, encoding="utf-8"):
    q = json.loads(line)
    params = {"q": q["query"]}
    if q["birth_year"]:
        params["birth_year"] = q["birth_year"]
    url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode(params)
    t = time.perf_counter()
    urllib.request.urlopen(url, timeout=10).read()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"HTTP round trip over {len(times)} queries: p50 {times[len(times)//2]:.2f} ms, p99 {times[int(len(times)*0.99)]:.2f} ms")
PY
grep VmRSS "/proc/$SERVER/status" | awk '{printf "serve resident memory: %.0f MB\n", $2/1024}'
