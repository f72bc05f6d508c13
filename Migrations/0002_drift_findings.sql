-- Drift checks: one row per model and run, with every finding, append-only like the other records.
CREATE TABLE drift_runs (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model           text NOT NULL,
    reference_from  timestamptz NOT NULL,
    reference_to    timestamptz NOT NULL,
    current_from    timestamptz NOT NULL,
    current_to      timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('OK', 'WARN', 'ALERT')),
    tests_run       integer NOT NULL,
    findings        jsonb NOT NULL,
    content_hash    text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX drift_runs_model ON drift_runs (model, run_id);

CREATE TRIGGER drift_runs_append_only BEFORE UPDATE OR DELETE ON drift_runs
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER drift_runs_no_truncate BEFORE TRUNCATE ON drift_runs
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
REVOKE ALL ON drift_runs FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON drift_runs TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
        GRANT SELECT ON drift_runs TO vlm_audit_reader;
    END IF;
END
$$;
