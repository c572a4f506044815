-- Audit evidence against whoever administers the database (SPEC §7, decision 1).
--
-- The service tags each event it writes: HMAC-SHA256 over the event's content with a key the
-- database never holds (src/audit/tag.rs). The sealer seals only events whose tag verifies, so
-- a row planted by anyone who can INSERT here (a superuser) never enters the chain. NULL for
-- events written before tags existed: those are sealed already; an unsealed one is refused.
ALTER TABLE audit_events ADD COLUMN tag bytea
    CONSTRAINT audit_events_tag_hmac_sha256 CHECK (tag IS NULL OR length(tag) = 32);

-- The tag covers the time of recording, so the service now states that time itself instead
-- of leaving it to the column default. It may not state any time it likes: a time further than
-- five minutes from the database's clock is refused, so the service role cannot backdate an
-- event (or date one ahead). Five minutes allows for clocks that drift apart, not for history.
CREATE FUNCTION audit_events_recorded_now() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recorded_at < clock_timestamp() - interval '5 minutes'
       OR NEW.recorded_at > clock_timestamp() + interval '5 minutes' THEN
        RAISE EXCEPTION 'an audit event is recorded now: % is more than 5 minutes from the database clock', NEW.recorded_at
            USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_events_recorded_now';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_events_recorded_now
    BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_recorded_now();

-- The tag is content: once written it never changes (sealing writes only seq, prev_hash, hash).
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.seq IS NOT NULL
       OR NEW.id <> OLD.id OR NEW.recorded_at <> OLD.recorded_at OR NEW.client <> OLD.client
       OR NEW.role <> OLD.role OR NEW.operator_id <> OLD.operator_id OR NEW.rpc <> OLD.rpc
       OR NEW.subject <> OLD.subject OR NEW.request_id <> OLD.request_id
       OR NEW.outcome <> OLD.outcome OR NEW.applicant <> OLD.applicant
       OR NEW.tag IS DISTINCT FROM OLD.tag THEN
        RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- Events the sealer would not seal, and why: each stays out of the chain, stays in
-- audit_events as it was found (evidence of the attempt), and is listed here so the sealer
-- passes over it and verification reports it. Append-only like the rest of the evidence.
CREATE TABLE audit_refusals (
    event_id   bigint PRIMARY KEY,
    refused_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- `untagged` or `bad_tag` (src/audit/tag.rs, Refusal).
    reason     text NOT NULL CONSTRAINT audit_refusals_reason_known CHECK (reason IN ('untagged', 'bad_tag')),
    -- The chain position the event would have followed had it been sealed then.
    after_seq  bigint NOT NULL CONSTRAINT audit_refusals_after_seq_position CHECK (after_seq >= 0)
);

CREATE FUNCTION audit_refusals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit refusals are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_refusals_append_only
    BEFORE UPDATE OR DELETE ON audit_refusals
    FOR EACH ROW EXECUTE FUNCTION audit_refusals_append_only();

CREATE TRIGGER audit_refusals_no_truncate
    BEFORE TRUNCATE ON audit_refusals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_no_truncate();
