-- Issue 10: no request is ever stranded.

-- The relative wrote since a moderator last acted: the queue says "new reply".
ALTER TABLE contact_requests ADD COLUMN reply_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contact_requests ADD COLUMN reply_at TEXT;
-- When the request entered its current state: the queue's ages.
ALTER TABLE contact_requests ADD COLUMN state_since TEXT;
UPDATE contact_requests SET state_since = updated_at;
-- The record's version when the match was proposed: the approver sees
-- every edit made after it.
ALTER TABLE contact_requests ADD COLUMN proposed_version INTEGER;
-- What two moderators approved, frozen (JSON): the relative reads this,
-- never the live record, so a later edit needs a new decision.
ALTER TABLE contact_requests ADD COLUMN released_details TEXT;
ALTER TABLE contact_requests ADD COLUMN released_at TEXT;
-- Unix seconds of the last lost-link recovery: at most one per few minutes.
ALTER TABLE contact_requests ADD COLUMN recovered_at INTEGER;

UPDATE contact_requests SET released_at = updated_at,
    released_details = (SELECT json_object(
        'surname', rec.surname, 'given_name', rec.given_name, 'patronymic', rec.patronymic,
        'birth_date', rec.birth_date, 'birth_place', rec.birth_place, 'region', rec.region,
        'unit', rec.unit, 'rank', rec.rank, 'status', rec.status, 'status_date', rec.status_date,
        'status_place', rec.status_place)
        FROM records rec WHERE rec.id = contact_requests.proposed_record_id)
WHERE state = 'released';

CREATE INDEX contact_requests_claims ON contact_requests(claimed_by) WHERE claimed_by IS NOT NULL;

-- Events name their step apart from the note, so the console can say them in words.
ALTER TABLE request_events ADD COLUMN step TEXT;
