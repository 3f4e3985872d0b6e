-- Contact requests and their moderated workflow (DESIGN.md). The table
-- created in 0002 was a placeholder nothing wrote to.
DROP TABLE contact_requests;
CREATE TABLE contact_requests (
    id                  INTEGER PRIMARY KEY,
    reference           TEXT NOT NULL UNIQUE,
    -- Retries with the same key return this request; a different body is refused.
    idempotency_key     TEXT UNIQUE,
    body_hash           TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('submitted', 'in_review', 'needs_info', 'match_proposed',
                            'released', 'closed_no_match', 'rejected', 'withdrawn')),
    language            TEXT NOT NULL,
    requester_name      TEXT NOT NULL,
    relationship        TEXT NOT NULL,
    email               TEXT,
    phone               TEXT,
    telegram            TEXT,
    sought_name         TEXT NOT NULL,
    sought_birth        TEXT,
    sought_birth_place  TEXT,
    sought_region       TEXT,
    sought_unit         TEXT,
    marks               TEXT,
    free_text           TEXT,
    candidate_record_id INTEGER REFERENCES records(id),
    claimed_by          INTEGER REFERENCES users(id),
    proposed_record_id  INTEGER REFERENCES records(id),
    proposed_by         INTEGER REFERENCES users(id),
    decided_by          INTEGER REFERENCES users(id),
    reason              TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    first_response_at   TEXT
);
CREATE INDEX contact_requests_queue ON contact_requests(state, created_at);

-- Secret status links: only hashes. A retried submission gets a new link
-- to the same request, so several may be valid.
CREATE TABLE request_tokens (
    token_hash TEXT PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES contact_requests(id)
);

-- Every transition, in order: the request's history.
CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES contact_requests(id),
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor      TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT
);

CREATE TABLE request_messages (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES contact_requests(id),
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    from_staff INTEGER NOT NULL,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL
);

-- Photos, re-encoded on upload; served from unguessable tokens only.
CREATE TABLE photos (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES contact_requests(id),
    token      TEXT NOT NULL UNIQUE,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    jpeg       BLOB NOT NULL,
    thumb      BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Outbox: stored in the same transaction as the state change it reports.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER,
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER NOT NULL,
    sent_at     INTEGER,
    last_error  TEXT
);

-- The public search names a candidate by this opaque reference, never by id.
ALTER TABLE records ADD COLUMN public_ref TEXT;
UPDATE records SET public_ref = lower(hex(randomblob(8)));
CREATE UNIQUE INDEX records_public_ref ON records(public_ref);
CREATE TRIGGER records_public_ref AFTER INSERT ON records WHEN NEW.public_ref IS NULL
BEGIN UPDATE records SET public_ref = lower(hex(randomblob(8))) WHERE id = NEW.id; END;
