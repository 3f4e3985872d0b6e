-- Issue 14: a record's public reference is its id enciphered under a key
-- the database keeps (store/src/public_ref.rs), drawn here once from two
-- version-4 UUIDs (gen_random_uuid, strong random: 244 random bits). New
-- records store no reference, so inserting one no longer writes a random
-- leaf of a unique index. References stored before stay valid and are
-- looked up first.
INSERT INTO meta (key, value)
    VALUES ('public_ref_key', replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''));
DROP TRIGGER records_public_ref ON records;
DROP FUNCTION records_public_ref_fill();
DROP INDEX records_public_ref;
CREATE UNIQUE INDEX records_public_ref ON records(public_ref) WHERE public_ref IS NOT NULL;
