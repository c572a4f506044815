-- Where each file lies, so an office acts only within its jurisdiction (SPEC 1.1).

-- The region of an application: where the applicant lives or will settle. NULL only for an
-- application a national organisation submitted without naming one; only national
-- organisations see those.
ALTER TABLE applications
    ADD COLUMN region text CONSTRAINT applications_region_format CHECK (region ~ '^KZ-[0-9]{2}$');

-- Applications submitted before regions were kept take them from what they said, where they
-- said one (the quota region, the address registered at).
UPDATE applications SET region = COALESCE(
    details -> 'regional_quota_inclusion' ->> 'region',
    details -> 'residence_registration' ->> 'region');

CREATE INDEX applications_region ON applications (region, id);
CREATE INDEX applications_submitted_by ON applications (submitted_by, id);

-- The organisation that registered a person: it may read them before any application exists.
-- NULL for persons registered before this was kept.
ALTER TABLE persons ADD COLUMN registered_by text;
CREATE INDEX persons_registered_by ON persons (registered_by) WHERE registered_by IS NOT NULL;

-- The portal's applicant an event was recorded for (`persons/{id}`); empty for other callers.
ALTER TABLE audit_events ADD COLUMN applicant text NOT NULL DEFAULT '';

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.seq IS NOT NULL
       OR NEW.id <> OLD.id OR NEW.recorded_at <> OLD.recorded_at OR NEW.client <> OLD.client
       OR NEW.role <> OLD.role OR NEW.operator_id <> OLD.operator_id OR NEW.rpc <> OLD.rpc
       OR NEW.subject <> OLD.subject OR NEW.request_id <> OLD.request_id
       OR NEW.outcome <> OLD.outcome OR NEW.applicant <> OLD.applicant THEN
        RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
