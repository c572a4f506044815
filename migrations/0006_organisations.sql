-- The organisations that hold client certificates, registered by the operator (SPEC 1.1). A
-- certificate names an organisation; only one registered here, active and for the role the
-- certificate names, may call. Every replica keeps this table in memory.
CREATE TABLE organisations (
    -- The certificate's organisation id: the same characters the URI SAN check allows.
    id           text NOT NULL,
    role         text NOT NULL CHECK (role IN ('psc', 'portal', 'mission', 'commission', 'police',
                                               'employment_center', 'admin')),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    -- ISO 3166-2:KZ codes of the regions the organisation acts in; none when national.
    regions      text[] NOT NULL DEFAULT '{}',
    national     boolean NOT NULL,
    state        text NOT NULL CHECK (state IN ('active', 'suspended')),
    -- Bumped by every change; the etag callers see.
    version      integer NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organisations_already_registered PRIMARY KEY (id),
    CONSTRAINT organisations_id_format CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
    -- A jurisdiction is the whole country or a list of regions, never both and never neither.
    CONSTRAINT organisations_national_or_regions CHECK (national = (cardinality(regions) = 0)),
    CONSTRAINT organisations_regions_known CHECK (regions <@ ARRAY[
        'KZ-10', 'KZ-11', 'KZ-15', 'KZ-19', 'KZ-23', 'KZ-27', 'KZ-31', 'KZ-33', 'KZ-35', 'KZ-39',
        'KZ-43', 'KZ-47', 'KZ-55', 'KZ-59', 'KZ-61', 'KZ-62', 'KZ-63', 'KZ-71', 'KZ-75', 'KZ-79'
    ]::text[])
);

-- Every change, however it is made (the API, seeding, or an operator's SQL), is announced in
-- its own transaction, so each replica re-reads the registry once it is committed.
CREATE FUNCTION organisations_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kandas_organisations', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER organisations_announce
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION organisations_announce();
