-- Signed calibration decisions (21 CFR 11.50; docs/calibration.md "Signed decisions"). Every activation, rejection and
-- rollback is signed: the signer's printed name, the identity that authenticated (the operating-system user on the
-- command line, the bearer token over HTTP), the time (the database clock) and the meaning of the signature. Signatures
-- are append-only and hash-chained:
--   signature_hash = sha256_hex(prev_signature_hash || '\n' || canonical JSON of the row's fields but its id), the
--   first prev 64 zeros.
-- The deployment's signing policy is a chained, append-only setting too: with two_signers, a version becomes active
-- only once two different identities have signed its approval (or rollback).
CREATE TABLE calibration_signatures (
    signature_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id          bigint NOT NULL REFERENCES calibration_versions,
    model               text NOT NULL,
    meaning             text NOT NULL CHECK (meaning IN ('approved for deployment', 'rejected', 'rolled back')),
    signer_name         text NOT NULL CHECK (length(signer_name) BETWEEN 1 AND 200),
    signer_identity     text NOT NULL,
    reason              text NOT NULL,
    signed_at           timestamptz NOT NULL,
    prev_signature_hash text NOT NULL UNIQUE,
    signature_hash      text NOT NULL UNIQUE
);
CREATE INDEX calibration_signatures_version ON calibration_signatures (version_id, signature_id);

CREATE TABLE calibration_policy (
    policy_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    two_signers      boolean NOT NULL,
    actor            text NOT NULL,
    reason           text NOT NULL,
    recorded_at      timestamptz NOT NULL,
    prev_policy_hash text NOT NULL UNIQUE,
    policy_hash      text NOT NULL UNIQUE
);

DO $$
DECLARE
    signed_table text;
BEGIN
    FOREACH signed_table IN ARRAY ARRAY['calibration_signatures', 'calibration_policy'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION vlm_audit_reject_change()', signed_table || '_append_only', signed_table);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION vlm_audit_reject_change()', signed_table || '_no_truncate', signed_table);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', signed_table);
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
            EXECUTE format('GRANT SELECT, INSERT ON %I TO vlm_audit_app', signed_table);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
            EXECUTE format('GRANT SELECT ON %I TO vlm_audit_reader', signed_table);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
END
$$;
