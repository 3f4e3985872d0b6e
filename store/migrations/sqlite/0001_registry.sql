-- The registry: one row per identified person.
CREATE TABLE records (
    id           INTEGER PRIMARY KEY,
    external_id  TEXT NOT NULL UNIQUE,
    surname      TEXT NOT NULL,
    given_name   TEXT NOT NULL,
    patronymic   TEXT NOT NULL DEFAULT '',
    sex          TEXT CHECK (sex IN ('m', 'f')),
    birth_date   TEXT,
    birth_place  TEXT,
    region       TEXT,
    unit         TEXT,
    rank         TEXT,
    status       TEXT NOT NULL CHECK (status IN ('captured', 'released', 'deceased', 'remains_repatriated')),
    status_date  TEXT,
    status_place TEXT,
    source       TEXT,
    notes        TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Change feed the search index follows: every insert or update appends a row.
CREATE TABLE record_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX record_changes_record ON record_changes(record_id);

-- One row per completed import, for operators.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    source_name TEXT NOT NULL,
    rows_total  INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Small settings of this installation (e.g. whether it holds demo data).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
