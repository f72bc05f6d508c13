-- The sequential monitor of every active escalation threshold (docs/monitor.md, STATISTICS.md "Sequential monitoring
-- of the deployed threshold"). One table, append-only and hash-chained like calibration events:
--   kind 'open'   a monitor starts watching a version: the whole model (slice_attribute = '') and each slice of its
--                 family, written together, so that the family size K (each slice at δ / K) is fixed and on record;
--   kind 'update' a look that changed the monitor: its stream grew (t, S, the e-value) or its cursor moved;
--   kind 'alarm'  M reached 1/δ: the model escalates everything until a person activates a new version; `reason` says why.
-- A monitor's state is its newest 'open' or 'update' row. `batch_cursor` is the newest ingest batch the look has read:
-- batches commit in id order, so the next look reads only the labels of later batches (cost independent of history).
--   update_hash = sha256_hex(prev_update_hash || '\n' || canonical JSON of the row's fields), the first prev 64 zeros.
CREATE TABLE monitor_events (
    event_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('open', 'update', 'alarm')),
    model               text NOT NULL,
    version_id          bigint NOT NULL REFERENCES calibration_versions,
    slice_attribute     text NOT NULL DEFAULT '',
    slice_value         text NOT NULL DEFAULT '',
    alpha               double precision NOT NULL CHECK (alpha > 0 AND alpha < 1),
    delta               double precision NOT NULL CHECK (delta > 0 AND delta < 1),
    threshold           double precision,  -- the version's global τ (NULL: none; per-slice τ live in the version)
    batch_cursor        bigint NOT NULL CHECK (batch_cursor >= 0),
    observations        bigint NOT NULL CHECK (observations >= 0),
    errors              bigint NOT NULL CHECK (errors >= 0 AND errors <= observations),
    log_e_value         double precision NOT NULL,
    max_log_e_value     double precision NOT NULL,
    alarm_at            bigint,
    alarm_prediction_id text,
    last_prediction_id  text,
    reason              text NOT NULL DEFAULT '',
    prev_event_hash     text NOT NULL,
    event_hash          text NOT NULL UNIQUE,
    recorded_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX monitor_events_monitor ON monitor_events (model, version_id, slice_attribute, slice_value, event_id);
CREATE INDEX monitor_events_alarms ON monitor_events (model, version_id) WHERE kind = 'alarm';
-- The look-up of a label's earlier labels by batch (the monitor consumes each prediction once, at its first label).
CREATE INDEX ground_truth_prediction_batch ON ground_truth (prediction_id, batch_id);
-- Predictions logged with their label (probes, mostly) by batch: a look reads those of the new batches only.
CREATE INDEX predictions_labeled_batch ON predictions (batch_id) WHERE label IS NOT NULL;

CREATE TRIGGER monitor_events_append_only BEFORE UPDATE OR DELETE ON monitor_events
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER monitor_events_no_truncate BEFORE TRUNCATE ON monitor_events
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
REVOKE ALL ON monitor_events FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON monitor_events TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
        GRANT SELECT ON monitor_events TO vlm_audit_reader;
    END IF;
END
$$;
