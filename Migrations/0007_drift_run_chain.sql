-- Drift runs, chained. Each run was sealed on its own (content_hash): an edited run was detected, a removed one (say,
-- an ALERT someone wanted gone) was not. Now every run has a link whose hash covers the previous link, the run's id and
-- its content hash, so that removing, inserting or reordering runs breaks `verify`, as it does for ingest batches and
-- calibration events. The links live in their own append-only table so that no stored run is ever updated; the runs
-- recorded before this migration are linked here, in run order. See docs/hash-chain.md.
--   link_hash = sha256_hex(prev_link_hash || '\n' || run_id || '\n' || content_hash), the first prev being 64 zeros.
CREATE TABLE drift_run_links (
    run_id         bigint PRIMARY KEY REFERENCES drift_runs,
    prev_link_hash text NOT NULL,
    link_hash      text NOT NULL UNIQUE,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

DO $$
DECLARE
    run record;
    previous text := repeat('0', 64);
    link text;
BEGIN
    FOR run IN SELECT run_id, content_hash FROM drift_runs ORDER BY run_id LOOP
        link := encode(sha256(convert_to(previous || E'\n' || run.run_id || E'\n' || run.content_hash, 'UTF8')), 'hex');
        INSERT INTO drift_run_links (run_id, prev_link_hash, link_hash) VALUES (run.run_id, previous, link);
        previous := link;
    END LOOP;
END
$$;

CREATE TRIGGER drift_run_links_append_only BEFORE UPDATE OR DELETE ON drift_run_links
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER drift_run_links_no_truncate BEFORE TRUNCATE ON drift_run_links
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
REVOKE ALL ON drift_run_links FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON drift_run_links TO vlm_audit_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
        GRANT SELECT ON drift_run_links TO vlm_audit_reader;
    END IF;
END
$$;
