-- The verification code printed on a re-issued kandas certificate (SPEC 5.7): one per kandas
-- status row, that is per grant and per extension, made at its first download and printed
-- again on every later one, so that anyone holding the paper can have it checked against the
-- record without learning whose it is.
CREATE TABLE certificate_codes (
    status_id  uuid NOT NULL REFERENCES kandas_statuses (id),
    -- 16 Crockford base32 symbols (80 random bits), upper case, without the dashes printed
    -- between groups: the form a code typed in any case, with or without dashes, is read into.
    code       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- A second download of the same grant or extension prints the same code.
    CONSTRAINT certificate_codes_one_per_status PRIMARY KEY (status_id),
    -- A code names one certificate: it is what the verifier types in.
    CONSTRAINT certificate_codes_unique UNIQUE (code),
    CONSTRAINT certificate_codes_format CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{16}$')
);
