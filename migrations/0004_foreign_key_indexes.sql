-- Every foreign key leads an index (tests/schema.rs checks it). PostgreSQL indexes only the
-- referenced side: without these, deleting or re-keying a referenced row (a retention job, an
-- operator's correction) scans the referencing table once per row, and lookups by the
-- reference (a person's stateless certificate, what an application issued) had no index.
CREATE INDEX permits_application ON permits (application_id);
CREATE INDEX registrations_application ON registrations (application_id);
CREATE INDEX quota_inclusions_application ON quota_inclusions (application_id);
CREATE INDEX stateless_certificates_person ON stateless_certificates (person_id);
CREATE INDEX payments_line ON payments (application_id, kind);
CREATE INDEX persons_kazakh_citizenship_application ON persons (kazakh_citizenship_application)
    WHERE kazakh_citizenship_application IS NOT NULL;
