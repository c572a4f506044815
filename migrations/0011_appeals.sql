-- Appeals of refusals (SPEC 5.7): filed within 3 months of the refusal, decided by the
-- deciding role at another organisation within 5 working days.
CREATE TABLE appeals (
    id             uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    filed_by       text NOT NULL,
    operator_id    text NOT NULL DEFAULT '',
    filed_on       date NOT NULL,
    grounds        text NOT NULL,
    -- The refusal appealed, as it was decided: an overturned refusal leaves `decisions`, so
    -- this copy is what remains of it.
    refused_by     text NOT NULL,
    refused_on     date NOT NULL,
    refusal_code   text NOT NULL,
    refusal_text   text NOT NULL,
    deadline       date NOT NULL,
    state          text NOT NULL CHECK (state IN ('pending', 'upheld', 'overturned')),
    decided_by     text,
    decided_on     date,
    reason         text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- A refusal is appealed once; an application refused again after an overturn may be
    -- appealed again.
    CONSTRAINT appeals_once_per_refusal UNIQUE (application_id, refused_on, refused_by),
    CONSTRAINT appeals_decided_together CHECK ((state = 'pending') = (decided_on IS NULL))
);
CREATE INDEX appeals_pending_deadline ON appeals (deadline, id) WHERE state = 'pending';
