-- Signed chain heads (SPEC §7, Decision on signed heads). The chain alone can be recomputed by
-- whoever rewrites audit_events; a head signed with a key the database never holds cannot. The
-- sealer signs (seq, hash, signed_at) at least every minute; a verifier with the public key
-- then finds a rewritten log (the chain no longer meets a signed hash) and a truncated one (a
-- signed head lies beyond the chain's end).
CREATE TABLE audit_signed_heads (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The chain position signed: the event with this seq ends the chain that was signed.
    seq        bigint NOT NULL CONSTRAINT audit_signed_heads_seq_positive CHECK (seq >= 1),
    -- That event's chain hash (SHA-256).
    hash       bytea NOT NULL CONSTRAINT audit_signed_heads_hash_sha256 CHECK (length(hash) = 32),
    signed_at  timestamptz NOT NULL,
    -- The first 8 bytes of SHA-256 of the public key, in hex: which key to verify with.
    key_id     text NOT NULL CONSTRAINT audit_signed_heads_key_id_hex CHECK (key_id ~ '^[0-9a-f]{16}$'),
    -- Ed25519 over "kandas audit head v1\0" ‖ seq ‖ signed_at (µs) ‖ hash (src/audit/signing.rs).
    signature  bytea NOT NULL CONSTRAINT audit_signed_heads_signature_ed25519 CHECK (length(signature) = 64)
);
CREATE INDEX audit_signed_heads_seq ON audit_signed_heads (seq);

-- Like the events, heads are only ever added: an ordinary writer cannot remove the evidence.
CREATE FUNCTION audit_signed_heads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signed audit heads are append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER audit_signed_heads_append_only
    BEFORE UPDATE OR DELETE ON audit_signed_heads
    FOR EACH ROW EXECUTE FUNCTION audit_signed_heads_append_only();

CREATE TRIGGER audit_signed_heads_no_truncate
    BEFORE TRUNCATE ON audit_signed_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_no_truncate();
