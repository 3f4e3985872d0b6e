-- Issue 11: new records find the relatives who wait for them, on the
-- channel each relative uses.

-- The relative's Telegram chat, once the bot knows it (a request sent in
-- the chat, or the status page's link into the bot): stored like any contact.
ALTER TABLE contact_requests ADD COLUMN telegram_chat_id INTEGER;
CREATE INDEX contact_requests_chat ON contact_requests(telegram_chat_id) WHERE telegram_chat_id IS NOT NULL;
-- News the relative has no channel for (a phone only, or a Telegram name
-- the bot has never seen): moderators call back. Cleared when one has.
ALTER TABLE contact_requests ADD COLUMN callback_since TEXT;
-- A record import or edit brought a new strong candidate; cleared by the
-- next moderator step.
ALTER TABLE contact_requests ADD COLUMN new_candidate_at TEXT;

-- Every candidate re-matching has raised: never the same one twice.
CREATE TABLE request_candidates (
    request_id INTEGER NOT NULL REFERENCES contact_requests(id),
    record_id  INTEGER NOT NULL REFERENCES records(id),
    raised_at  TEXT NOT NULL,
    PRIMARY KEY (request_id, record_id)
);

-- A sender mints a fresh status link at send time for rows that ask for one.
ALTER TABLE notifications ADD COLUMN fresh_link INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notifications_due ON notifications(channel, next_try_at) WHERE sent_at IS NULL;

-- How a moderator hears of new work: nothing, email or Telegram, batched.
ALTER TABLE users ADD COLUMN notify_channel TEXT NOT NULL DEFAULT 'none'
    CHECK (notify_channel IN ('none', 'email', 'telegram'));
ALTER TABLE users ADD COLUMN notify_email TEXT;
ALTER TABLE users ADD COLUMN notify_chat_id INTEGER;
-- The last alert a digest covered, and when that digest went.
ALTER TABLE users ADD COLUMN alerts_sent_upto INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN alerts_sent_at INTEGER NOT NULL DEFAULT 0;
-- A one-time code the moderator sends to the bot to link their chat (hash only).
ALTER TABLE users ADD COLUMN telegram_link_hash TEXT;
ALTER TABLE users ADD COLUMN telegram_link_expires INTEGER;

-- Work for moderators, in order: digests count these since each one's last.
CREATE TABLE staff_alerts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('new_request', 'reply', 'candidate')),
    request_id INTEGER NOT NULL REFERENCES contact_requests(id),
    at         INTEGER NOT NULL
);

-- Re-matching follows the change feed from here: records already present
-- were on the request pages when their requests were reviewed.
INSERT OR IGNORE INTO meta (key, value) SELECT 'rematch_applied', CAST(COALESCE(MAX(seq), 0) AS TEXT) FROM record_changes;
