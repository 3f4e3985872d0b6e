-- Sign-in failures per client address (IPv4 address or IPv6 /64), so that
-- guessing is slowed down at its source and no stranger can lock a
-- moderator's account. `failures` counts attempts not (yet) proven right.
CREATE TABLE login_throttle (
    client_key    TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_stage_created ON sessions(stage, created_at);
