#!/usr/bin/env bash
# Peak memory of `findkin serve` under concurrent worst-case photo uploads.
#
# Builds three worst-case photos (a 5000×5000 16-bit RGBA PNG, a PNG whose iCCP
# chunk is a 0.5 MB zlib bomb, a 7296×5472 baseline JPEG: 40 MP, 3 components),
# starts `findkin serve` on a temporary data directory on 127.0.0.1 (free port),
# sends N concurrent requests to the real form endpoint (POST /request, multipart,
# each request carrying the three photos) and prints the server's peak RSS
# (VmHWM from /proc/PID/status). Loopback only; everything is removed at the end.
#
# Usage: bench/upload_memory.sh [REQUESTS]   (default 8)
# Needs: FINDKIN_BIN (default $CARGO_TARGET_DIR/release/findkin),
#        FINDKIN_SITE_ROOT (default $CARGO_TARGET_DIR/site), python3.
# Exit status 1 if the peak is at or over LIMIT_MB (default 300).
set -euo pipefail

REQUESTS="${1:-8}"
LIMIT_MB="${LIMIT_MB:-300}"
TARGET="${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target}"
BIN="${FINDKIN_BIN:-$TARGET/release/findkin}"
SITE="${FINDKIN_SITE_ROOT:-$TARGET/site}"
[[ -x "$BIN" ]] || { echo "no findkin binary at $BIN (build it, or set FINDKIN_BIN)" >&2; exit 2; }
[[ "$REQUESTS" =~ ^[1-9][0-9]?$ ]] || { echo "REQUESTS must be 1..99" >&2; exit 2; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building worst-case photos in $WORK" >&2
python3 - "$WORK" <<'PY'
import struct, sys, zlib

out = sys.argv[1]

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

def png(width, height, depth, color, rows, extra=b""):
    """PNG whose scanlines (filter byte included) come from `rows`, compressed as a stream."""
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for row in rows) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")

def zeros_zlib(total, step=1 << 20):
    z = zlib.compressobj(9)
    parts = [z.compress(bytes(step)) for _ in range(total // step)]
    return b"".join(parts) + z.flush()

# 5000×5000 RGBA, 16 bits per channel: 200 MB of pixels in ~0.2 MB.
row = bytes(1 + 5000 * 8)
with open(f"{out}/png16.png", "wb") as f:
    f.write(png(5000, 5000, 16, 6, (row for _ in range(5000))))

# A 64×64 RGB PNG whose iCCP profile inflates to 512 MiB.
iccp = chunk(b"iCCP", b"bomb\x00\x00" + zeros_zlib(512 << 20))
small_row = bytes(1 + 64 * 3)
with open(f"{out}/iccp.png", "wb") as f:
    f.write(png(64, 64, 8, 2, (small_row for _ in range(64)), extra=iccp))

# 7296×5472 baseline JPEG, 3 components without subsampling, every block flat
# grey: one-code Huffman tables make each block two bits.
w, h = 7296, 5472
seg = lambda marker, data: b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data
jpeg = b"\xff\xd8"
jpeg += seg(0xDB, b"\x00" + bytes([1] * 64))
jpeg += seg(0xC0, struct.pack(">BHHB", 8, h, w, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00")
jpeg += seg(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")  # DC: '0' → category 0
jpeg += seg(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")  # AC: '0' → end of block
jpeg += seg(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
bits = (w // 8) * (h // 8) * 3 * 2
assert bits % 8 == 0
jpeg += bytes(bits // 8) + b"\xff\xd9"
with open(f"{out}/jpeg40mp.jpg", "wb") as f:
    f.write(jpeg)
PY
ls -l "$WORK"/*.png "$WORK"/*.jpg >&2

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$WORK/data"
FINDKIN_LOG=warn "$BIN" --data-dir "$WORK/data" serve --addr "127.0.0.1:$PORT" --site-root "$SITE" \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 2; }
    sleep 0.2
done
kb() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$SERVER_PID/status"; }
echo "server pid $SERVER_PID on 127.0.0.1:$PORT, idle RSS $(( $(kb VmRSS) / 1024 )) MiB" >&2

python3 - "$WORK" "$PORT" "$REQUESTS" <<'PY'
import collections, http.client, sys, threading, time, uuid

work, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
photos = [(name, open(f"{work}/{name}", "rb").read()) for name in ("png16.png", "iccp.png", "jpeg40mp.jpg")]

def body(key):
    boundary = uuid.uuid4().hex
    fields = {"language": "en", "requester_name": "Olga", "relationship": "sister", "telegram": "@olga_k",
              "sought_name": "Лаврентьев Остап", "consent": "yes", "idempotency_key": key}
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    for name, data in photos:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="{name}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        parts.append(head + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return boundary, b"".join(parts)

results = collections.Counter()
def send(i):
    boundary, data = body(f"bench-{i}-{uuid.uuid4().hex}")
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        c.request("POST", "/request", data, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        r = c.getresponse()
        page = r.read().decode("utf-8", "replace")
        refused = [name for name, _ in photos if name + ":" in page]
        results[f"HTTP {r.status}, refused: {', '.join(refused) or 'none'}"] += 1
    except Exception as e:
        results[f"error {type(e).__name__}"] += 1

start = time.monotonic()
threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"{n} concurrent requests × {len(photos)} photos in {time.monotonic() - start:.1f} s", file=sys.stderr)
for outcome, count in sorted(results.items()):
    print(f"  {count} × {outcome}", file=sys.stderr)
PY

# Timed-out decodes may still be running: wait (bounded) until the CPU is idle.
for _ in $(seq 1 120); do
    a="$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")"; sleep 0.5
    b="$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")"
    [[ "$a" == "$b" ]] && break
done
PEAK_MB=$(( $(kb VmHWM) / 1024 ))
echo "peak RSS (VmHWM): $PEAK_MB MiB; RSS now $(( $(kb VmRSS) / 1024 )) MiB; limit $LIMIT_MB MiB"
(( PEAK_MB < LIMIT_MB ))
