#!/usr/bin/env bash
# Checks that migrations/postgres gives PostgreSQL the schema that all of
# migrations/sqlite give SQLite.
#
#   store/migrations/check_schemas.sh
#
# Builds a fresh SQLite database from migrations/sqlite/*.sql (in order) with
# sqlite3, creates a scratch PostgreSQL database, applies
# migrations/postgres/*.sql with psql -v ON_ERROR_STOP=1, describes both the
# same way, prints every difference, drops the scratch database and exits 1
# if there was one (2 if a migration failed to apply).
#
# Compared, for every table:
#   * the ordered column names, with each column's nullability, type
#     (SQLite INTEGER = bigint, TEXT = text, BLOB = bytea) and default
#     (the strftime('%Y-%m-%dT%H:%M:%fZ', 'now') default and its PostgreSQL
#     to_char(...) equivalent both read as NOW_TS; a PostgreSQL literal's
#     ::text/::bigint cast is dropped);
#   * the set of named index names, each with uniqueness, columns and the
#     predicate of a partial index;
#   * the primary key columns and the column lists of UNIQUE constraints,
#     WITHOUT their names: the automatic indexes behind them
#     (sqlite_autoindex_* in SQLite, *_pkey / *_key in PostgreSQL) are left
#     out of the index-name comparison because their names can never agree;
#   * foreign keys (column -> table(column), ON UPDATE / ON DELETE action);
#   * trigger names.
# Not compared: CHECK constraints and trigger bodies (they are text in
# SQLite); read them in the two files.
#
# SQLite reports PRIMARY KEY columns as nullable (`pragma table_info` notnull
# = 0); PostgreSQL makes them NOT NULL. They are compared as NOT NULL.
#
# Deliberate PostgreSQL-only objects, left out: the trigger
# audit_log_no_truncate (SQLite has no TRUNCATE).
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres);
# KEEP_OUTPUT=DIR copies both descriptions (sqlite.sorted, postgres.sorted)
# into DIR.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
PG_ONLY_TRIGGERS="audit_log_no_truncate"

work="$(mktemp -d)"
db="findkin_schema_check_$$"
cleanup() {
    if [ -n "${KEEP_OUTPUT:-}" ]; then cp "$work"/*.sorted "$KEEP_OUTPUT"/ 2>/dev/null || true; fi
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- SQLite ------------------------------------------------------------------
lite="$work/sqlite.db"
for f in "$here"/sqlite/*.sql; do
    if ! sqlite3 -bail "$lite" <"$f"; then
        echo "sqlite3 failed on $f" >&2
        exit 2
    fi
done

sqlite3 -noheader -separator '|' "$lite" >"$work/sqlite.txt" <<'SQL'
PRAGMA foreign_keys = ON;
WITH tables AS (
    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
)
SELECT 'table ' || t.name FROM tables t
UNION ALL
-- Columns: position, name, nullability, type, default.
SELECT printf('column %s %02d %s %s %s default=%s', t.name, c.cid, c.name,
    CASE WHEN c."notnull" OR c.pk > 0 THEN 'NOT NULL' ELSE 'NULL' END,
    CASE upper(c.type) WHEN 'INTEGER' THEN 'bigint' WHEN 'TEXT' THEN 'text' WHEN 'BLOB' THEN 'bytea' ELSE 'UNMAPPED:' || c.type END,
    CASE
        WHEN c.dflt_value IS NULL THEN '-'
        WHEN c.dflt_value IN ('strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')',
                              '(strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now''))') THEN 'NOW_TS'
        ELSE c.dflt_value
    END)
FROM tables t, pragma_table_info(t.name) c
UNION ALL
-- Primary key columns, in key order.
SELECT 'pkey ' || t.name || ' (' || (SELECT group_concat(name, ',') FROM
        (SELECT c.name FROM pragma_table_info(t.name) c WHERE c.pk > 0 ORDER BY c.pk)) || ')'
FROM tables t WHERE EXISTS (SELECT 1 FROM pragma_table_info(t.name) c WHERE c.pk > 0)
UNION ALL
-- UNIQUE constraints (automatic indexes, origin 'u'): columns only.
SELECT 'unique ' || t.name || ' (' || (SELECT group_concat(name, ',') FROM
        (SELECT ii.name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno)) || ')'
FROM tables t, pragma_index_list(t.name) il WHERE il.origin = 'u'
UNION ALL
-- Named indexes (origin 'c' = CREATE INDEX).
SELECT 'index ' || t.name || ' ' || il.name
    || CASE WHEN il."unique" THEN ' UNIQUE' ELSE '' END
    || ' (' || (SELECT group_concat(name, ',') FROM
        (SELECT ii.name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno)) || ')'
    || CASE WHEN il.partial THEN ' WHERE ' || trim(substr(m.sql, instr(upper(m.sql), ' WHERE ') + 7), ' ;') ELSE '' END
FROM tables t, pragma_index_list(t.name) il
JOIN sqlite_master m ON m.type = 'index' AND m.name = il.name
WHERE il.origin = 'c'
UNION ALL
SELECT printf('fkey %s %s -> %s(%s) on update %s on delete %s', t.name, fk."from", fk."table", fk."to",
    fk.on_update, fk.on_delete)
FROM tables t, pragma_foreign_key_list(t.name) fk
UNION ALL
SELECT 'trigger ' || tbl_name || ' ' || name FROM sqlite_master WHERE type = 'trigger';
SQL

# --- PostgreSQL --------------------------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" >/dev/null
for f in "$here"/postgres/*.sql; do
    if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" >/dev/null; then
        echo "psql failed on $f" >&2
        exit 2
    fi
done

psql -X -q -A -t -v ON_ERROR_STOP=1 -v pg_only_triggers="$PG_ONLY_TRIGGERS" -d "$db" >"$work/postgres.txt" <<'SQL'
WITH tables AS (
    SELECT c.oid, c.relname AS name FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
),
cols AS (
    SELECT table_name, column_name, is_nullable, data_type, column_default,
        row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) - 1 AS cid
    FROM information_schema.columns WHERE table_schema = 'public'
),
-- Columns of an index or constraint, in key order.
keycols AS (
    SELECT i.indexrelid, string_agg(a.attname, ',' ORDER BY k.ord) AS cols
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    GROUP BY i.indexrelid
)
SELECT 'table ' || name FROM tables
UNION ALL
SELECT format('column %s %s %s %s %s default=%s', c.table_name, lpad(c.cid::text, 2, '0'), c.column_name,
    CASE WHEN c.is_nullable = 'NO' THEN 'NOT NULL' ELSE 'NULL' END,
    c.data_type,
    CASE
        WHEN c.column_default IS NULL THEN '-'
        WHEN c.column_default LIKE '%to_char(%statement_timestamp()%YYYY-MM-DD"T"HH24:MI:SS.MS"Z"%'
          OR c.column_default LIKE '%to_char(%clock_timestamp()%YYYY-MM-DD"T"HH24:MI:SS.MS"Z"%' THEN 'NOW_TS'
        ELSE regexp_replace(c.column_default, '::(text|bigint)$', '')
    END)
FROM cols c JOIN tables t ON t.name = c.table_name
UNION ALL
SELECT format('pkey %s (%s)', t.name, k.cols)
FROM tables t JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'p'
JOIN keycols k ON k.indexrelid = con.conindid
UNION ALL
SELECT format('unique %s (%s)', t.name, k.cols)
FROM tables t JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'u'
JOIN keycols k ON k.indexrelid = con.conindid
UNION ALL
-- Named indexes: every index in pg_indexes that backs no constraint
-- (the *_pkey / *_key ones are compared above, without names).
SELECT format('index %s %s%s (%s)%s', x.tablename, x.indexname,
    CASE WHEN i.indisunique THEN ' UNIQUE' ELSE '' END, k.cols,
    CASE WHEN i.indpred IS NOT NULL
         THEN ' WHERE ' || regexp_replace(pg_get_expr(i.indpred, i.indrelid), '^\((.*)\)$', '\1') ELSE '' END)
FROM pg_indexes x
JOIN pg_class ic ON ic.relname = x.indexname AND ic.relnamespace = 'public'::regnamespace
JOIN pg_index i ON i.indexrelid = ic.oid
JOIN keycols k ON k.indexrelid = i.indexrelid
WHERE x.schemaname = 'public'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
UNION ALL
SELECT format('fkey %s %s -> %s(%s) on update %s on delete %s', t.name, a.attname, rt.relname, ra.attname,
    CASE con.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                         WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END,
    CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE'
                         WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END)
FROM tables t JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'f'
CROSS JOIN LATERAL unnest(con.conkey, con.confkey) AS k(col, refcol)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col
JOIN pg_class rt ON rt.oid = con.confrelid
JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.refcol
UNION ALL
SELECT format('trigger %s %s', t.name, tg.tgname)
FROM tables t JOIN pg_trigger tg ON tg.tgrelid = t.oid
WHERE NOT tg.tgisinternal
  AND tg.tgname <> ALL (string_to_array(:'pg_only_triggers', ' '));
SQL

# --- Compare -----------------------------------------------------------------
LC_ALL=C sort "$work/sqlite.txt" >"$work/sqlite.sorted"
LC_ALL=C sort "$work/postgres.txt" >"$work/postgres.sorted"
echo "SQLite: $(grep -c '^table ' "$work/sqlite.sorted") tables, $(grep -c '^column ' "$work/sqlite.sorted") columns," \
     "$(grep -c '^index ' "$work/sqlite.sorted") named indexes, $(grep -c '^fkey ' "$work/sqlite.sorted") foreign keys," \
     "$(grep -c '^trigger ' "$work/sqlite.sorted") triggers"
echo "PostgreSQL: $(grep -c '^table ' "$work/postgres.sorted") tables, $(grep -c '^column ' "$work/postgres.sorted") columns," \
     "$(grep -c '^index ' "$work/postgres.sorted") named indexes, $(grep -c '^fkey ' "$work/postgres.sorted") foreign keys," \
     "$(grep -c '^trigger ' "$work/postgres.sorted") triggers"
if diff_out="$(LC_ALL=C comm -3 "$work/sqlite.sorted" "$work/postgres.sorted")" && [ -z "$diff_out" ]; then
    echo "No differences."
    exit 0
fi
echo "Differences (left column: only in SQLite; indented: only in PostgreSQL):"
printf '%s\n' "$diff_out"
exit 1
