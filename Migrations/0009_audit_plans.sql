-- Audit plans: the published design of each model's audit sample (docs/audit.md, STATISTICS.md "Audit sampling").
-- A plan fixes a rate q and a secret 32-byte seed from `effective_from` on, until the model's next plan; prediction i
-- is an audit member iff the first 8 bytes of sha256(seed || utf8(prediction_id)), read as a big-endian integer X,
-- satisfy X / 2^64 < q. `member_bound` is that test as a byte string: a member is exactly a prediction whose 8-byte
-- prefix is < member_bound (bytea compares as unsigned big-endian), so SQL selects members without floating point;
-- `verify` recomputes it from `rate`.
-- Plans are never edited: a new rate or seed is a new plan. Each plan is chained (plan_hash covers the previous
-- plan_hash and the plan's canonical JSON, including sha256(seed)), so that an auditor handed the seed later can check it
-- was fixed at creation.
CREATE TABLE audit_plans (
    plan_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model          text NOT NULL,
    rate           double precision NOT NULL CHECK (rate > 0 AND rate <= 1),
    seed           bytea NOT NULL CHECK (length(seed) = 32),
    seed_sha256    text NOT NULL CHECK (seed_sha256 = encode(sha256(seed), 'hex')),
    member_bound   bytea NOT NULL CHECK (length(member_bound) = 8),
    effective_from timestamptz NOT NULL,
    created_by     text NOT NULL,
    reason         text NOT NULL,
    prev_plan_hash text NOT NULL,
    plan_hash      text NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (model, effective_from)
);

CREATE TRIGGER audit_plans_append_only BEFORE UPDATE OR DELETE ON audit_plans
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER audit_plans_no_truncate BEFORE TRUNCATE ON audit_plans
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
REVOKE ALL ON audit_plans FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON audit_plans TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
    -- Readers (auditors, reporting) read the seed too: membership, the audit estimates and the reports need it. The
    -- deployed model service never holds a database role; it learns membership only per prediction, over HTTP.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
        GRANT SELECT ON audit_plans TO vlm_audit_reader;
    END IF;
END
$$;
