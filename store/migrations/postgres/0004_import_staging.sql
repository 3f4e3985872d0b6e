-- Imports are staged, then applied in short transactions (see the SQLite
-- migration 0012). `state`: 'staging', 'applying' or 'done'.
ALTER TABLE imports ADD COLUMN state TEXT COLLATE "C" NOT NULL DEFAULT 'done' CHECK (state IN ('staging', 'applying', 'done'));
ALTER TABLE imports ADD COLUMN applied_upto BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN touched_at TEXT COLLATE "C";

-- One row per CSV line of an import not yet applied (a record as JSON).
CREATE TABLE import_staging (
    import_id BIGINT NOT NULL REFERENCES imports(id),
    line      BIGINT NOT NULL,
    record    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (import_id, line)
);
