#!/usr/bin/env bash
# Server CPU per download of the wasm bundle (see docs/PERFORMANCE.md):
#   bash bench/wasm_cpu.sh BIN ENCODING      # ENCODING: br or gzip
# SITE (default $CARGO_TARGET_DIR/site) is the site root; DATA a data dir
# (default: a fresh empty registry). 100 downloads on 127.0.0.1; CPU from
# /proc/PID/stat (utime + stime, 10 ms ticks).
set -euo pipefail
BIN=$1; ENC=$2; DATA=${DATA:-$(mktemp -d)}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
FINDKIN_LOG=warn $BIN --data-dir $DATA serve --addr 127.0.0.1:$PORT --site-root ${SITE:-${CARGO_TARGET_DIR:-target}/site} >/dev/null 2>&1 &
S=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
# The URL the home page names: /pkg/<content hash>/findkin_bg.wasm.
WASM=$(curl -sf http://127.0.0.1:$PORT/ | grep -o '/pkg/[0-9a-f]*/findkin_bg\.wasm' | head -n1 || true)
[ -n "$WASM" ] || { echo "no hashed wasm URL on the home page" >&2; kill $S; exit 1; }
curl -sf -H "accept-encoding: $ENC" http://127.0.0.1:$PORT$WASM -o /dev/null
t0=$(awk '{print $14+$15}' /proc/$S/stat)
for i in $(seq 1 100); do curl -s -H "accept-encoding: $ENC" http://127.0.0.1:$PORT$WASM -o /dev/null; done
t1=$(awk '{print $14+$15}' /proc/$S/stat)
echo "$BIN $ENC $WASM: server CPU per download: $(echo "($t1-$t0)*10/100" | bc -l | cut -c1-5) ms"
kill $S
