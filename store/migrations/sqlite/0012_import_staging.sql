-- Imports are staged, then applied in short transactions, so a large
-- import never holds SQLite's single write lock for long and a contact
-- request sent meanwhile is stored at once. `state`: 'staging' (rows still
-- arriving; abandoned ones are dropped), 'applying' (every row is staged
-- and the import will be finished, after a crash too), 'done'.
ALTER TABLE imports ADD COLUMN state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('staging', 'applying', 'done'));
ALTER TABLE imports ADD COLUMN applied_upto INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN touched_at TEXT;

-- One row per CSV line of an import not yet applied (a record as JSON).
CREATE TABLE import_staging (
    import_id INTEGER NOT NULL REFERENCES imports(id),
    line      INTEGER NOT NULL,
    record    TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);
