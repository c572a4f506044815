-- The state registries around the service (SPEC 1, role `registry`): the IIN registries, the
-- State Revenue Committee, the "Population Registration Point". They receive the acts on
-- persons' records as events, in commit order, each only the kinds it subscribed to.
ALTER TABLE organisations DROP CONSTRAINT organisations_role_check;
ALTER TABLE organisations ADD CONSTRAINT organisations_role_known
    CHECK (role IN ('psc', 'portal', 'mission', 'commission', 'police', 'employment_center',
                    'admin', 'registry'));

-- `seq` is taken from the head row, which each writing transaction locks until it ends, so the
-- feed's order is commit order and a rolled-back act leaves no number behind: a reader that has
-- seen N never later finds a new event below N, and never finds a gap.
CREATE TABLE record_feed_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL
);
INSERT INTO record_feed_head (seq) VALUES (0);

CREATE TABLE record_events (
    seq         bigint PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CONSTRAINT record_events_kind_known CHECK (kind IN (
        'iin_assigned', 'kandas_status_granted', 'kandas_status_extended',
        'kandas_status_annulled', 'permit_granted', 'permit_annulled', 'card_issued',
        'registration_made', 'registration_ended', 'stateless_certificate_issued',
        'citizenship_granted', 'person_corrected', 'documents_erased')),
    -- The record the act made or changed, e.g. `persons/{id}/permits/{number}`.
    resource    text NOT NULL,
    person_id   uuid NOT NULL REFERENCES persons (id),
    -- Where the record lies, for a registry whose jurisdiction is regions; NULL when nowhere.
    region      text,
    -- What a registry needs of this kind of act, and nothing more (domain::record_event).
    facts       jsonb NOT NULL,
    CONSTRAINT record_events_facts_of_kind CHECK (facts ->> 'kind' = kind)
);
-- A subscriber reads its kinds in order: one index range per kind, merged by seq.
CREATE INDEX record_events_kind_seq ON record_events (kind, seq);
CREATE INDEX record_events_person ON record_events (person_id);

-- What each registry receives, and how far it has acknowledged.
CREATE TABLE record_subscriptions (
    organisation_id text PRIMARY KEY REFERENCES organisations (id),
    kinds           text[] NOT NULL CONSTRAINT record_subscriptions_kinds_named
                        CHECK (cardinality(kinds) >= 1),
    -- Every event up to this position is processed by the subscriber.
    acknowledged    bigint NOT NULL DEFAULT 0 CONSTRAINT record_subscriptions_acknowledged_position
                        CHECK (acknowledged >= 0),
    acknowledged_at timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
