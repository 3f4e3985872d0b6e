-- Tamper evidence: each audit row carries SHA-256(previous hash, content).
-- Rows written before this migration keep no hash; the chain starts after them.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
