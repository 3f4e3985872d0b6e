#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests use answers on 127.0.0.1:5432
# (FINDKIN_TEST_PG), starting the local cluster if it is installed and
# stopped, and drops databases earlier test runs left behind.
set -euo pipefail
PG="${FINDKIN_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
if ! command -v psql >/dev/null || ! command -v pg_isready >/dev/null; then
    echo "PostgreSQL client tools (psql, pg_isready) are missing: the tests need a PostgreSQL server at $PG." >&2
    echo "On Debian: apt-get install postgresql, or point FINDKIN_TEST_PG at a server." >&2
    exit 1
fi
if ! pg_isready -q -d "$PG/postgres"; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        version=$(ls /etc/postgresql | sort -V | tail -1)
        echo "starting PostgreSQL $version (main cluster)"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 1 30); do pg_isready -q -d "$PG/postgres" && break; sleep 1; done
    fi
fi
if ! pg_isready -q -d "$PG/postgres"; then
    echo "No PostgreSQL answers at $PG, and none could be started here." >&2
    echo "Install it (apt-get install postgresql) or set FINDKIN_TEST_PG to a server the tests may create databases on." >&2
    exit 1
fi
stale=$(psql -X -q -t -A -d "$PG/postgres" -c \
    "SELECT datname FROM pg_database WHERE datname LIKE 'findkin\_t\_%' OR datname LIKE 'findkin\_u\_%'")
for db in $stale; do
    psql -X -q -d "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
echo "PostgreSQL ready at $PG"
