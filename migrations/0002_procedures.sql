-- Every procedure of the kandas path: family members of an application, what approvals
-- issue (kandas statuses, permits, cards, stateless certificates, registrations,
-- citizenship), offences recorded by police and hosts' arrival notifications.

-- Family members included in an application, in the order given. The applicant is not
-- listed here; the pair is unique so a person appears once per application.
CREATE TABLE application_members (
    application_id uuid NOT NULL REFERENCES applications (id),
    person_id      uuid NOT NULL REFERENCES persons (id),
    relation       text NOT NULL CHECK (relation IN ('spouse', 'child', 'parent', 'other')),
    position       integer NOT NULL,
    PRIMARY KEY (application_id, person_id)
);
CREATE INDEX application_members_person ON application_members (person_id);

-- Numbers printed on what the state issues: one sequence, formatted per kind.
CREATE SEQUENCE issued_numbers;

-- Kandas status: one row per grant or extension, per person. Valid through valid_until.
CREATE TABLE kandas_statuses (
    id                 uuid PRIMARY KEY,
    person_id          uuid NOT NULL REFERENCES persons (id),
    application_id     uuid NOT NULL REFERENCES applications (id),
    certificate_number text NOT NULL,
    valid_from         date NOT NULL,
    valid_until        date NOT NULL,
    extension          boolean NOT NULL,
    CONSTRAINT kandas_statuses_period CHECK (valid_until >= valid_from),
    CONSTRAINT kandas_statuses_once_per_application UNIQUE (application_id, person_id)
);
CREATE INDEX kandas_statuses_person ON kandas_statuses (person_id);

-- A permanent residence permit: at most one per person.
CREATE TABLE permits (
    id             uuid PRIMARY KEY,
    person_id      uuid NOT NULL REFERENCES persons (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    number         text NOT NULL UNIQUE,
    granted_on     date NOT NULL,
    CONSTRAINT permits_one_per_person UNIQUE (person_id)
);

-- Residence permit cards; a renewal adds a row.
CREATE TABLE cards (
    id             uuid PRIMARY KEY,
    person_id      uuid NOT NULL REFERENCES persons (id),
    application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
    number         text NOT NULL UNIQUE,
    issued_on      date NOT NULL,
    valid_until    date NOT NULL,
    CONSTRAINT cards_period CHECK (valid_until >= issued_on)
);
CREATE INDEX cards_person ON cards (person_id);

CREATE TABLE stateless_certificates (
    id             uuid PRIMARY KEY,
    person_id      uuid NOT NULL REFERENCES persons (id),
    application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
    number         text NOT NULL UNIQUE,
    issued_on      date NOT NULL
);

-- Registrations at an address. A new permanent registration ends the previous one, so at
-- most one permanent registration is open per person.
CREATE TABLE registrations (
    id             uuid PRIMARY KEY,
    person_id      uuid NOT NULL REFERENCES persons (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    kind           text NOT NULL CHECK (kind IN ('permanent', 'temporary', 'refugee')),
    region         text NOT NULL CHECK (region ~ '^KZ-[0-9]{2}$'),
    address        text NOT NULL,
    registered_on  date NOT NULL,
    until          date,
    CONSTRAINT registrations_period CHECK (until IS NULL OR until >= registered_on - 1)
);
CREATE INDEX registrations_person ON registrations (person_id);
CREATE UNIQUE INDEX registrations_one_open_permanent ON registrations (person_id)
    WHERE kind = 'permanent' AND until IS NULL;

-- Citizenship of Kazakhstan, once granted, shows on the person's record.
ALTER TABLE persons
    ADD COLUMN kazakh_citizenship_since date,
    ADD COLUMN kazakh_citizenship_application uuid REFERENCES applications (id);

-- Administrative offences recorded by police (SPEC 5.3: migration, tax or labour law within
-- 12 months bars a permanent residence permit).
CREATE TABLE offences (
    id           uuid PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES persons (id),
    field        text NOT NULL CHECK (field IN ('migration', 'tax', 'labour', 'other')),
    offence_date date NOT NULL,
    description  text NOT NULL DEFAULT '',
    recorded_by  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offences_person ON offences (person_id, offence_date);

-- A host's notification of a foreigner's arrival: due 3 working days after entry.
CREATE TABLE arrival_notifications (
    id          uuid PRIMARY KEY,
    person_id   uuid NOT NULL REFERENCES persons (id),
    entry_date  date NOT NULL,
    notified_on date NOT NULL,
    due_date    date NOT NULL,
    late        boolean NOT NULL,
    host        text NOT NULL DEFAULT '',
    recorded_by text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT arrival_notifications_after_entry CHECK (notified_on >= entry_date),
    CONSTRAINT arrival_notifications_late_is_derived CHECK (late = (notified_on > due_date))
);
CREATE INDEX arrival_notifications_person ON arrival_notifications (person_id);

-- One open application per person and procedure (registrations excepted: several
-- addresses can be registered), replacing the IIN-only rule.
DROP INDEX applications_one_open_iin;
CREATE UNIQUE INDEX applications_one_open_per_procedure ON applications (applicant_id, procedure)
    WHERE state = 'submitted' AND procedure <> 'residence_registration';
-- Deciding offices list their overdue work by procedure.
CREATE INDEX applications_open_procedure_deadline ON applications (procedure, deadline, id) WHERE state = 'submitted';
