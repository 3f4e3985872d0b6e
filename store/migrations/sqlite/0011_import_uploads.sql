-- Console CSV uploads waiting for confirmation, shared by every replica
-- (not files in one replica's data directory). Unconfirmed ones older than
-- a day are removed at the next upload.
CREATE TABLE import_uploads (
    token      TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    file_name  TEXT NOT NULL,
    csv        BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX import_uploads_age ON import_uploads(created_at);
