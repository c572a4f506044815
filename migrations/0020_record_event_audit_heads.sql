-- Every signed audit head is published as a record event (SPEC §7, issue 27): the registries
-- that hold the feed then hold the heads, outside this database, and an auditor checks an
-- export against a registry's copy. A head is about no person and lies in no region; every
-- other kind is an act on a person's records and keeps its person.
ALTER TABLE record_events DROP CONSTRAINT record_events_kind_known;
ALTER TABLE record_events ADD CONSTRAINT record_events_kind_known CHECK (kind IN (
    'iin_assigned', 'kandas_status_granted', 'kandas_status_extended',
    'kandas_status_annulled', 'permit_granted', 'permit_annulled', 'card_issued',
    'registration_made', 'registration_ended', 'stateless_certificate_issued',
    'citizenship_granted', 'person_corrected', 'documents_erased', 'audit_head_signed'));

ALTER TABLE record_events ALTER COLUMN person_id DROP NOT NULL;
ALTER TABLE record_events ADD CONSTRAINT record_events_person_unless_audit_head CHECK (
    CASE WHEN kind = 'audit_head_signed' THEN person_id IS NULL AND region IS NULL
         ELSE person_id IS NOT NULL END);
