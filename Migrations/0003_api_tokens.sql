-- Bearer tokens of the HTTP API. Only a SHA-256 of each token is stored; the token itself is shown once.
-- Both tables are append-only: a revocation is a new row, so the history of who could do what is kept.
CREATE TABLE api_tokens (
    token_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    scopes      text[] NOT NULL CHECK (cardinality(scopes) > 0
                    AND scopes <@ ARRAY['ingest', 'label', 'read', 'admin']::text[]),
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE api_token_revocations (
    token_id    bigint PRIMARY KEY REFERENCES api_tokens (token_id),
    reason      text NOT NULL,
    revoked_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TRIGGER api_tokens_append_only BEFORE UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER api_tokens_no_truncate BEFORE TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER api_token_revocations_append_only BEFORE UPDATE OR DELETE ON api_token_revocations
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER api_token_revocations_no_truncate BEFORE TRUNCATE ON api_token_revocations
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();

REVOKE ALL ON api_tokens, api_token_revocations FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON api_tokens, api_token_revocations TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
END
$$;
