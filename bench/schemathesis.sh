#!/usr/bin/env bash
# Property-based tests of the JSON API against its own OpenAPI document:
# schemathesis drives a real `findkin serve` (loopback, free port, temporary
# data dir with part of the dev registry, search rate limit off) and fails
# on any 5xx, undocumented status code or content type, or a response body
# that does not match its documented schema.
#
#   bash bench/schemathesis.sh short   # `make test`: bounded, well under 2 minutes
#   bash bench/schemathesis.sh long    # `make fuzz`: more examples, ~10 minutes at most
#
# SCHEMATHESIS is the CLI (the Makefile installs a pinned one into
# $CARGO_TARGET_DIR/venv); FINDKIN_BIN and FINDKIN_SITE_ROOT as for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${FINDKIN_BIN:-$TARGET/release/findkin}
SITE=${FINDKIN_SITE_ROOT:-$TARGET/site}
ST=${SCHEMATHESIS:-$TARGET/venv/bin/schemathesis}
# Examples per operation, records imported, and a hard wall-clock limit for
# the run (the CLI's own --max-time would keep fuzzing until it is spent).
case "${1:-}" in
short) EXAMPLES=100 ROWS=2000 LIMIT=100 ;;
long) EXAMPLES=1000 ROWS=20000 LIMIT=900 ;;
*)
	echo "usage: $0 short|long" >&2
	exit 2
	;;
esac

WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
head -n $((ROWS + 1)) eval/dev/records.csv > "$WORK/records.csv"
FINDKIN_LOG=warn "$BIN" --data-dir "$WORK/data" import "$WORK/records.csv" > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
FINDKIN_LOG=warn "$BIN" --data-dir "$WORK/data" serve --addr "127.0.0.1:$PORT" --site-root "$SITE" \
	--search-rate-per-minute 0 --submit-rate-per-hour 0 --submit-global-per-minute 0 \
	--message-rate-per-hour 0 --message-global-per-minute 0 --photo-rate-per-hour 0 --photo-global-per-minute 0 &
SERVER=$!

start=$(date +%s)
# No shrinking and no example database: a failure is reported as found.
# Run from $WORK, where the CLI keeps its cache, so the clone stays clean.
ST=$(realpath -m "$ST")
cd "$WORK"
status=0
timeout --signal=INT "$LIMIT" "$ST" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
	--wait-for-schema 60 \
	--checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
	--max-examples "$EXAMPLES" \
	--request-timeout 5 \
	--workers 1 \
	--generation-database none \
	--no-shrink \
	--no-color || status=$?
echo "schemathesis $1: exit $status after $(($(date +%s) - start)) s"
exit $status
