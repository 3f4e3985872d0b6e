-- Staff accounts. Passwords are argon2 hashes; TOTP secrets are needed in
-- clear to compute codes, so the database file itself must be protected.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'editor')),
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    totp_secret          TEXT,
    totp_enrolled        INTEGER NOT NULL DEFAULT 0,
    -- Last accepted TOTP time step: a code is never accepted twice.
    totp_last_step       INTEGER NOT NULL DEFAULT 0,
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until         INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Sessions live in the database so any replica can serve any moderator.
-- Only a hash of the cookie token is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    -- 'password': password checked, second factor pending; 'full': signed in.
    stage       TEXT NOT NULL CHECK (stage IN ('password', 'full')),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Who changed which field of a record from what to what.
CREATE TABLE record_history (
    id         INTEGER PRIMARY KEY,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    version    INTEGER NOT NULL,
    user_id    INTEGER REFERENCES users(id),
    user_name  TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX record_history_record ON record_history(record_id, id);

-- Append-only: the application never updates or deletes rows, and the
-- triggers refuse it for anyone else with write access to the file.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    details     TEXT,
    -- IPv4 truncated to /24, IPv6 to /48: enough to see patterns, not a person.
    address     TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Contact requests: the moderated workflow fills these in; the dashboard
-- counts them (requests per day, time to first response).
CREATE TABLE contact_requests (
    id                INTEGER PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    state             TEXT NOT NULL DEFAULT 'submitted',
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    first_response_at TEXT
);
