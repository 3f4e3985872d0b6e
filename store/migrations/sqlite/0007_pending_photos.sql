-- Issue 10: photos of a request form that was shown again (a field to fix,
-- or another language chosen), kept so the relative never picks them again.
-- Cleaned like every photo; named by the form's idempotency key and a
-- random token the form carries in hidden fields. At most MAX_PHOTOS per
-- key; rows older than a day are deleted whenever the form is posted.
CREATE TABLE pending_photos (
    id         INTEGER PRIMARY KEY,
    form_key   TEXT NOT NULL,
    token      TEXT NOT NULL UNIQUE,
    -- As uploaded, shown so the relative knows which photo it is.
    file_name  TEXT NOT NULL,
    format     TEXT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    jpeg       BLOB NOT NULL,
    thumb      BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX pending_photos_form ON pending_photos(form_key);
CREATE INDEX pending_photos_age ON pending_photos(created_at);
