-- Issue 14: a record's public reference is its id enciphered under a key
-- the database keeps (store/src/public_ref.rs), drawn here once. New records
-- store no reference, so inserting one no longer writes a random leaf of a
-- unique index. References stored before stay valid and are looked up first.
INSERT INTO meta (key, value) VALUES ('public_ref_key', lower(hex(randomblob(32))));
DROP TRIGGER records_public_ref;
DROP INDEX records_public_ref;
CREATE UNIQUE INDEX records_public_ref ON records(public_ref) WHERE public_ref IS NOT NULL;
