-- How the applicant confirmed each portal act (SPEC 1.1): the applicant's own CMS signature,
-- verified and kept as evidence that verifies again without the portal, or the portal's
-- statement that a one-time SMS code was confirmed.

-- Whether a portal organisation's statement of an SMS confirmation is accepted; seed 004 allows
-- both ways of signing, so it is by default.
ALTER TABLE organisations
    ADD COLUMN accepts_sms_confirmation boolean NOT NULL DEFAULT true;

-- The assurance each act had: `none` for an office or channel acting under its own certificate.
ALTER TABLE applications
    ADD COLUMN submission_assurance text NOT NULL DEFAULT 'none'
        CONSTRAINT applications_submission_assurance_known
        CHECK (submission_assurance IN ('none', 'sms', 'signature')),
    ADD COLUMN withdrawal_assurance text
        CONSTRAINT applications_withdrawal_assurance_known
        CHECK (withdrawal_assurance IN ('none', 'sms', 'signature'));
ALTER TABLE appeals
    ADD COLUMN filing_assurance text NOT NULL DEFAULT 'none'
        CONSTRAINT appeals_filing_assurance_known
        CHECK (filing_assurance IN ('none', 'sms', 'signature'));

-- One row per confirmed act. A signature is kept whole with the bytes it covers and the
-- signer's certificate, so anyone holding the national CA's certificate can verify it again.
CREATE TABLE applicant_confirmations (
    id                 uuid PRIMARY KEY,
    application_id     uuid NOT NULL REFERENCES applications (id),
    -- Set for the filing of an appeal.
    appeal_id          uuid REFERENCES appeals (id),
    -- The act: the RPC's full path, the portal that sent it and its request id (with the
    -- client, the key of the act's audit event).
    rpc                text NOT NULL,
    client             text NOT NULL,
    request_id         uuid NOT NULL,
    assurance          text NOT NULL CHECK (assurance IN ('sms', 'signature')),
    -- The moment the service judged the act at (its clock): what "valid on the day" means.
    confirmed_at       timestamptz NOT NULL,
    -- When the portal says the SMS code was confirmed.
    sms_confirmed_at   timestamptz,
    signature          bytea,
    signed_content     bytea,
    signer_certificate bytea,
    -- SHA-256 of the signer's certificate, lowercase hex: finds every act of one certificate.
    signer_fingerprint text,
    -- What the one-use rule below compares: a digest, so that a refused replay's error detail
    -- (which names the key) carries no IIN.
    signed_content_sha256 bytea GENERATED ALWAYS AS (sha256(signed_content)) STORED,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applicant_confirmations_evidence CHECK (
        (assurance = 'signature' AND signature IS NOT NULL AND signed_content IS NOT NULL
            AND signer_certificate IS NOT NULL AND signer_fingerprint IS NOT NULL
            AND sms_confirmed_at IS NULL)
        OR (assurance = 'sms' AND signature IS NULL AND signed_content IS NULL
            AND signer_certificate IS NULL AND signer_fingerprint IS NULL
            AND sms_confirmed_at IS NOT NULL)),
    -- The canonical bytes name the RPC and the request id, so one signature confirms one act:
    -- another portal replaying it under its own client (where the request id is not yet
    -- claimed) is refused here.
    CONSTRAINT applicant_signature_used_once UNIQUE (signed_content_sha256)
);
CREATE INDEX applicant_confirmations_application ON applicant_confirmations (application_id);
CREATE INDEX applicant_confirmations_appeal ON applicant_confirmations (appeal_id)
    WHERE appeal_id IS NOT NULL;
