-- Budgets for what relatives send in (requests, messages, photos), shared
-- by every replica: one GCRA bucket per key, stored as its theoretical
-- arrival time in Unix milliseconds. Idle buckets are purged.
CREATE TABLE rate_limits (
    key    TEXT PRIMARY KEY,
    tat_ms INTEGER NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits(tat_ms);
