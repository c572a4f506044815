-- A record lives on after its issue (SPEC 5.7): police end registrations, the commission
-- annuls kandas statuses, police annul permanent residence permits.

-- The last day a person was registered at the address (inclusive) and why police ended it.
-- Both or neither: an ending always has its reason.
ALTER TABLE registrations
    ADD COLUMN ended_on date,
    ADD COLUMN end_reason text
        CONSTRAINT registrations_end_reason CHECK (end_reason IN
            ('moved_out', 'left_kazakhstan', 'owner_consent_withdrawn', 'court_decision')),
    ADD CONSTRAINT registrations_ended_with_reason CHECK ((ended_on IS NULL) = (end_reason IS NULL)),
    ADD CONSTRAINT registrations_ended_after_start CHECK (ended_on IS NULL OR ended_on >= registered_on);

-- An annulment: the first day the record is not valid, its ground and its legal basis, all
-- three or none.
ALTER TABLE kandas_statuses
    ADD COLUMN annulled_on date,
    ADD COLUMN annulment_ground text
        CONSTRAINT kandas_statuses_annulment_ground CHECK (annulment_ground IN
            ('false_documents', 'administrative_violation', 'departure_abroad', 'court_decision')),
    ADD COLUMN annulment_basis text,
    ADD CONSTRAINT kandas_statuses_annulment_whole CHECK (
        (annulled_on IS NULL) = (annulment_ground IS NULL)
        AND (annulled_on IS NULL) = (annulment_basis IS NULL)),
    -- An extension that would have begun after the annulment falls with the chain, so only
    -- the end is bounded.
    ADD CONSTRAINT kandas_statuses_annulled_in_time CHECK (
        annulled_on IS NULL OR annulled_on <= valid_until);

-- Cards carry no annulment of their own: a card falls with the permit it rests on, from the
-- same date, so the two can never disagree.
ALTER TABLE permits
    ADD COLUMN annulled_on date,
    ADD COLUMN annulment_ground text
        CONSTRAINT permits_annulment_ground CHECK (annulment_ground IN
            ('false_documents', 'administrative_violation', 'departure_abroad', 'court_decision')),
    ADD COLUMN annulment_basis text,
    ADD CONSTRAINT permits_annulment_whole CHECK (
        (annulled_on IS NULL) = (annulment_ground IS NULL)
        AND (annulled_on IS NULL) = (annulment_basis IS NULL)),
    ADD CONSTRAINT permits_annulled_after_grant CHECK (annulled_on IS NULL OR annulled_on >= granted_on);

-- One permit held per person: an annulled permit no longer stops a new one. The index keeps
-- the constraint's name, which the store turns into PERMIT_ALREADY_GRANTED.
ALTER TABLE permits DROP CONSTRAINT permits_one_per_person;
CREATE UNIQUE INDEX permits_one_per_person ON permits (person_id) WHERE annulled_on IS NULL;
CREATE INDEX permits_person ON permits (person_id);

-- A registration police ended is no longer open: the person may be registered anew.
DROP INDEX registrations_one_open_permanent;
CREATE UNIQUE INDEX registrations_one_open_permanent ON registrations (person_id)
    WHERE kind = 'permanent' AND until IS NULL AND ended_on IS NULL;
