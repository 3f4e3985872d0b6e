-- Budgets for what relatives send in, shared by every replica (see the
-- SQLite migration 0013).
CREATE TABLE rate_limits (
    key    TEXT COLLATE "C" PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits(tat_ms);
