-- What an employment center needs from each quota decision without reading the application:
-- who applied, how many persons the application counts (the applicant and each family
-- member), and for a refusal its reason code (empty when approved).
ALTER TABLE quota_decisions
    ADD COLUMN applicant_id uuid REFERENCES persons (id),
    ADD COLUMN family_size  integer CONSTRAINT quota_decisions_family_size CHECK (family_size >= 1),
    ADD COLUMN reason_code  text NOT NULL DEFAULT '';

-- Decisions fed before this take the same facts from their application and decision.
UPDATE quota_decisions q
    SET applicant_id = a.applicant_id,
        family_size = 1 + (SELECT count(*) FROM application_members m WHERE m.application_id = a.id),
        reason_code = COALESCE(d.reason_code, '')
    FROM applications a LEFT JOIN decisions d ON d.application_id = a.id
    WHERE a.id = q.application_id;

ALTER TABLE quota_decisions
    ALTER COLUMN applicant_id SET NOT NULL,
    ALTER COLUMN family_size SET NOT NULL,
    ADD CONSTRAINT quota_decisions_refusal_has_reason CHECK (approved = (reason_code = ''));

CREATE INDEX quota_decisions_applicant ON quota_decisions (applicant_id);
