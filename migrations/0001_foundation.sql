-- Foundation schema: persons and IINs, applications with one decision each, idempotent
-- retries and the audit log. Invariants that the law depends on are constraints here, not
-- only checks in code, so no code path (and no second replica) can break them.

-- A person known to the service. The IIN is unique and, once set, never changes: the unique
-- constraint and the trigger below make that true for every writer, not just this code.
CREATE TABLE persons (
    id            uuid PRIMARY KEY,
    iin           char(12),
    surname       text NOT NULL,
    given_name    text NOT NULL,
    patronymic    text NOT NULL DEFAULT '',
    birth_date    date NOT NULL,
    sex           text NOT NULL CHECK (sex IN ('male', 'female')),
    -- ISO 3166-1 alpha-3; empty for a stateless person.
    citizenship   text NOT NULL DEFAULT '',
    ethnic_kazakh boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    version       integer NOT NULL DEFAULT 1,
    CONSTRAINT persons_iin_unique UNIQUE (iin),
    CONSTRAINT persons_iin_format CHECK (iin ~ '^[0-9]{12}$')
);

CREATE FUNCTION persons_guard_iin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.iin IS NOT NULL THEN
            RAISE EXCEPTION 'a person holding an IIN is never deleted (the IIN would become reusable)'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.iin IS NOT NULL AND NEW.iin IS DISTINCT FROM OLD.iin THEN
        RAISE EXCEPTION 'an assigned IIN is immutable'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER persons_iin_immutable
    BEFORE UPDATE OR DELETE ON persons
    FOR EACH ROW EXECUTE FUNCTION persons_guard_iin();

-- The last serial issued for each 7-digit IIN prefix (birth date, century and sex). A row lock
-- on the prefix serialises issuing for people born the same day, and only for them.
CREATE TABLE iin_serials (
    prefix      char(7) PRIMARY KEY,
    last_serial integer NOT NULL CHECK (last_serial BETWEEN 0 AND 9999)
);

-- An application for one procedure. Documents, details and checklist are kept as submitted
-- (JSON of the domain types); the columns hold what is filtered on.
CREATE TABLE applications (
    id                   uuid PRIMARY KEY,
    procedure            text NOT NULL,
    applicant_id         uuid NOT NULL REFERENCES persons (id),
    state                text NOT NULL CHECK (state IN ('submitted', 'approved', 'refused', 'withdrawn')),
    submitted_by         text NOT NULL,
    operator_id          text NOT NULL DEFAULT '',
    submission_date      date NOT NULL,
    deadline             date,
    deadline_provisional boolean NOT NULL DEFAULT false,
    details              jsonb NOT NULL,
    documents            jsonb NOT NULL,
    checklist            jsonb NOT NULL,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX applications_applicant ON applications (applicant_id, id);
CREATE INDEX applications_procedure_state ON applications (procedure, state, id);
-- Overdue work: undecided applications by deadline.
CREATE INDEX applications_open_deadline ON applications (deadline, id) WHERE state = 'submitted';
-- At most one open IIN application per person.
CREATE UNIQUE INDEX applications_one_open_iin ON applications (applicant_id)
    WHERE procedure = 'iin_assignment' AND state = 'submitted';

-- One decision per application: the primary key is the application.
CREATE TABLE decisions (
    application_id uuid PRIMARY KEY REFERENCES applications (id),
    outcome        text NOT NULL CHECK (outcome IN ('approved', 'refused')),
    decided_by     text NOT NULL,
    operator_id    text NOT NULL DEFAULT '',
    decided_at     timestamptz NOT NULL DEFAULT now(),
    decision_date  date NOT NULL,
    reason_code    text NOT NULL DEFAULT '',
    reason_text    text NOT NULL DEFAULT '',
    result         jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT decisions_refusal_has_reason CHECK (outcome = 'approved' OR reason_code <> '')
);

-- The first response to each (client, request_id), so a retry returns it instead of acting
-- twice. Written in the same transaction as the change it stands for.
CREATE TABLE idempotency_keys (
    client       text NOT NULL,
    request_id   uuid NOT NULL,
    rpc          text NOT NULL,
    request_hash bytea NOT NULL,
    response     bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, request_id)
);

-- The audit log (SPEC §7). Writers only INSERT, so they never wait for each other; a sealer
-- later links events into a hash chain in the order it sees them (seq, prev_hash, hash).
-- The trigger makes the table append-only: content never changes, deletion is refused, and
-- the chain columns are written once.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    client      text NOT NULL,
    role        text NOT NULL,
    operator_id text NOT NULL,
    rpc         text NOT NULL,
    subject     text NOT NULL,
    request_id  text NOT NULL,
    outcome     text NOT NULL,
    seq         bigint UNIQUE,
    prev_hash   bytea,
    hash        bytea,
    CONSTRAINT audit_events_sealed_together CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL))
);

CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX audit_events_subject ON audit_events (subject, id);

-- Where the chain ends: one row, locked by the sealer so replicas seal one at a time.
CREATE TABLE audit_chain_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL,
    hash      bytea NOT NULL
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.seq IS NOT NULL
       OR NEW.id <> OLD.id OR NEW.recorded_at <> OLD.recorded_at OR NEW.client <> OLD.client
       OR NEW.role <> OLD.role OR NEW.operator_id <> OLD.operator_id OR NEW.rpc <> OLD.rpc
       OR NEW.subject <> OLD.subject OR NEW.request_id <> OLD.request_id
       OR NEW.outcome <> OLD.outcome THEN
        RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE FUNCTION audit_events_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are never deleted' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_no_truncate();
