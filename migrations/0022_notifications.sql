-- The applicant's notifications (SPEC 5.8): one per step of an applicant's file, written in the
-- transaction of the act. The portal follows its applicant's, the submitting office those of
-- the applications it submitted.

-- Numbered like the record feed: `seq` is taken from the head row, which each writing
-- transaction locks until it ends, so the order is commit order across replicas and a
-- rolled-back act leaves no number behind. A follower resuming after N never later finds a new
-- notification below N.
CREATE TABLE notification_feed_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL
);
INSERT INTO notification_feed_head (seq) VALUES (0);

CREATE TABLE notifications (
    seq            bigint PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    person_id      uuid NOT NULL REFERENCES persons (id),
    application_id uuid REFERENCES applications (id),
    -- The client URI of the office that submitted the application, which reads it too.
    submitted_by   text,
    kind           text NOT NULL CONSTRAINT notifications_kind_known CHECK (kind IN (
        'accepted', 'approved', 'refused', 'certificate_ready', 'quota_decided',
        'appeal_filed', 'appeal_decided', 'record_annulled', 'registration_ended',
        'deadline_missed')),
    -- What happened, in the domain's words (domain::notification::Facts); the texts in each
    -- language are told from these when read.
    facts          jsonb NOT NULL,
    CONSTRAINT notifications_facts_of_kind CHECK (facts ->> 'kind' = kind),
    CONSTRAINT notifications_office_of_application CHECK (
        submitted_by IS NULL OR application_id IS NOT NULL)
);
-- A follower reads one applicant's, or one office's, in order.
CREATE INDEX notifications_person_seq ON notifications (person_id, seq);
CREATE INDEX notifications_submitted_by_seq ON notifications (submitted_by, seq)
    WHERE submitted_by IS NOT NULL;
CREATE INDEX notifications_application ON notifications (application_id)
    WHERE application_id IS NOT NULL;
-- A deadline passes once: however many replicas look, and however often, one notification
-- per application and deadline missed.
CREATE UNIQUE INDEX notifications_deadline_missed_once
    ON notifications (application_id, (facts ->> 'deadline'))
    WHERE kind = 'deadline_missed';
