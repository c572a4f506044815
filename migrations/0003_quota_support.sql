-- Regional quota and state support (SPEC §6, §4). Figures that change by law every year are
-- rows here, seeded with the published defaults and changed at run time by an administrator.

-- MCI (monthly calculation index) by year, in tenge.
CREATE TABLE mci_values (
    year       integer PRIMARY KEY CHECK (year BETWEEN 1990 AND 2200),
    tenge      bigint NOT NULL CHECK (tenge > 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mci_values (year, tenge) VALUES (2023, 3450), (2024, 3692), (2025, 3932), (2026, 4325);

-- Places per region and year, and places taken. The CHECKs make over-commitment impossible
-- for every writer and every replica: an allocation that would take more than remains fails.
CREATE TABLE quotas (
    region text NOT NULL CHECK (region ~ '^KZ-[0-9]{2}$'),
    year   integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    places integer NOT NULL CHECK (places >= 0),
    taken  integer NOT NULL DEFAULT 0 CHECK (taken >= 0),
    PRIMARY KEY (region, year),
    CONSTRAINT quotas_never_overcommitted CHECK (taken <= places)
);
-- 2025 (seed 000, total 2,309) and 2026 (Labour Ministry order of 12 December 2025, 2,281).
INSERT INTO quotas (region, year, places) VALUES
    ('KZ-10', 2025, 244), ('KZ-11', 2025, 285), ('KZ-39', 2025, 150), ('KZ-55', 2025, 1056),
    ('KZ-59', 2025, 175), ('KZ-63', 2025, 269), ('KZ-23', 2025, 100), ('KZ-27', 2025, 30),
    ('KZ-55', 2026, 977), ('KZ-11', 2026, 285), ('KZ-10', 2026, 264), ('KZ-63', 2026, 200),
    ('KZ-59', 2026, 200), ('KZ-39', 2026, 200), ('KZ-23', 2026, 125), ('KZ-27', 2026, 30);

-- Everyone ever included in a quota, once: the primary key is the person.
CREATE TABLE quota_inclusions (
    person_id      uuid PRIMARY KEY REFERENCES persons (id),
    application_id uuid NOT NULL REFERENCES applications (id),
    region         text NOT NULL,
    year           integer NOT NULL
);

-- The commission's quota decisions as a feed. `seq` is taken from the head row, which each
-- deciding transaction locks until it commits, so feed order is commit order: a reader that
-- has seen seq N will never later find a new row below N.
CREATE TABLE quota_feed_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL
);
INSERT INTO quota_feed_head (seq) VALUES (0);

CREATE TABLE quota_decisions (
    seq            bigint PRIMARY KEY,
    application_id uuid NOT NULL UNIQUE REFERENCES applications (id),
    region         text NOT NULL,
    year           integer NOT NULL,
    approved       boolean NOT NULL,
    places         integer NOT NULL,
    rent_mci       integer NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now()
);

-- Applications move through steps; each step has its own deadline and can be overdue.
-- Most procedures have one step (decide); quota inclusion has forward, decide and notify.
ALTER TABLE applications
    ADD COLUMN pending_step text NOT NULL DEFAULT 'decide'
        CHECK (pending_step IN ('forward', 'decide', 'notify', 'done')),
    ADD COLUMN step_deadline date,
    ADD COLUMN forwarded_on date,
    ADD COLUMN notified_on date;
UPDATE applications
    SET pending_step = CASE WHEN state = 'submitted' THEN 'decide' ELSE 'done' END,
        step_deadline = CASE WHEN state = 'submitted' THEN deadline END;
CREATE INDEX applications_pending_step ON applications (step_deadline, id) WHERE pending_step <> 'done';

-- What an included family is entitled to, fixed at the MCI of the decision year (SPEC §4
-- Decision), one line per kind. Payments can never exceed a line: paid and counted here
-- under CHECKs, in the same transaction as the payment row.
CREATE TABLE entitlement_lines (
    application_id uuid NOT NULL REFERENCES applications (id),
    kind           text NOT NULL CHECK (kind IN ('relocation', 'rent', 'mobility_certificate')),
    mci_year       integer NOT NULL,
    mci_tenge      bigint NOT NULL CHECK (mci_tenge > 0),
    mci            bigint NOT NULL CHECK (mci >= 0),
    tenge          bigint NOT NULL CHECK (tenge >= 0),
    -- Largest single payment (the monthly rent); NULL when any amount up to the line is fine.
    per_payment    bigint,
    max_payments   integer,
    paid_tenge     bigint NOT NULL DEFAULT 0,
    payments       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (application_id, kind),
    CONSTRAINT entitlement_lines_never_overpaid CHECK (paid_tenge BETWEEN 0 AND tenge),
    CONSTRAINT entitlement_lines_payment_count CHECK (max_payments IS NULL OR payments <= max_payments)
);

CREATE TABLE payments (
    id             uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    kind           text NOT NULL,
    tenge          bigint NOT NULL CHECK (tenge > 0),
    -- For rent, the month paid (YYYY-MM): one payment per month.
    period         text NOT NULL DEFAULT '',
    recorded_by    text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (application_id, kind) REFERENCES entitlement_lines (application_id, kind)
);
CREATE INDEX payments_application ON payments (application_id, id);
CREATE UNIQUE INDEX payments_one_rent_per_month ON payments (application_id, period) WHERE kind = 'rent';
