-- One person, one record, and every version of it (SPEC 5.7).

-- The identity document a person was registered with. No two persons hold the same one: a
-- second registration of the same human is refused, whichever replica takes it.
CREATE TABLE person_documents (
    person_id       uuid NOT NULL REFERENCES persons (id),
    number          text NOT NULL CHECK (number ~ '^[A-Z0-9]{1,64}$'),
    issuing_country text NOT NULL CHECK (issuing_country ~ '^[A-Z]{3}$'),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT person_documents_held_once UNIQUE (number, issuing_country)
);
CREATE INDEX person_documents_person ON person_documents (person_id);

-- Possible duplicates are looked up by names, birth date and sex.
CREATE INDEX persons_identity ON persons (lower(surname), lower(given_name), birth_date, sex);

-- Every version of a person's correctable fields, as made: by whom, when, why and on what
-- supporting document. Revision 1 is the registration.
CREATE TABLE person_versions (
    person_id     uuid NOT NULL REFERENCES persons (id),
    revision      integer NOT NULL CHECK (revision >= 1),
    surname       text NOT NULL,
    given_name    text NOT NULL,
    patronymic    text NOT NULL,
    birth_date    date NOT NULL,
    sex           text NOT NULL,
    citizenship   text NOT NULL,
    ethnic_kazakh boolean NOT NULL,
    changed_by    text NOT NULL,
    operator_id   text NOT NULL DEFAULT '',
    reason        text NOT NULL,
    -- The supporting document of a correction, as presented (JSON of the domain type).
    document      jsonb,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, revision)
);

-- Persons registered before versions were kept start with their registration as it stands.
INSERT INTO person_versions (person_id, revision, surname, given_name, patronymic, birth_date,
                             sex, citizenship, ethnic_kazakh, changed_by, reason, changed_at)
SELECT id, 1, surname, given_name, patronymic, birth_date, sex, citizenship, ethnic_kazakh,
       COALESCE(registered_by, ''), 'registered', created_at
FROM persons;
