-- Issue 9: submissions are bounded. Addresses we mail: until an address
-- confirms (the link in its first notification), it gets at most one
-- notification a day, so the service cannot be used to mail strangers.
CREATE TABLE email_addresses (
    -- Trimmed and lower-cased.
    address        TEXT PRIMARY KEY,
    confirmed_at   TEXT,
    -- Hash of the newest confirmation link's secret; older links stop working.
    token_hash     TEXT UNIQUE,
    -- Unix seconds of the last notification queued while unconfirmed.
    last_notice_at INTEGER,
    -- scheme://host of the last submission naming this address, for links.
    link_origin    TEXT
);
