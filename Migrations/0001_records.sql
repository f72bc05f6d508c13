-- vlm-audit: the append-only record tables.
-- Rows are never updated or deleted: corrections are new rows (label revisions, calibration events).
-- Timestamps of record come from the database clock. See docs/storage.md and docs/hash-chain.md.

-- Roles: the application writes and reads records; it can never change them. They are created here only when the
-- migrating role may create roles (a superuser, or CREATEROLE): a plain database owner migrates without them, and a
-- DBA adds them later (docs/deployment.md). Every grant below is made only to roles that exist. Roles are cluster-wide,
-- so two databases migrating at once may race to create them: the loser's error is expected and ignored.
DO $$
BEGIN
    IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
        BEGIN
            CREATE ROLE vlm_audit_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
        BEGIN
            CREATE ROLE vlm_audit_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
END
$$;

-- One committed ingest: a file, part of a file, or an HTTP request. Chained by hash to its predecessor.
CREATE TABLE ingest_batches (
    batch_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('predictions', 'labels')),
    source          text NOT NULL,
    inserted_count  integer NOT NULL CHECK (inserted_count >= 0),
    duplicate_count integer NOT NULL CHECK (duplicate_count >= 0),
    rejected_count  integer NOT NULL CHECK (rejected_count >= 0),
    rows_hash       text NOT NULL,
    prev_chain_hash text NOT NULL,
    chain_hash      text NOT NULL UNIQUE,
    code_version    text NOT NULL,
    ingested_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- UE methods and their orientation, fixed on first sight.
CREATE TABLE ue_methods (
    method        text PRIMARY KEY CHECK (method ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    orientation   text NOT NULL CHECK (orientation IN ('confidence', 'uncertainty')),
    derived       boolean NOT NULL DEFAULT false,
    first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO ue_methods (method, orientation, derived) VALUES
    ('msp', 'confidence', true), ('margin', 'confidence', true), ('entropy', 'uncertainty', true);

-- Every deployed prediction, as received (after validation), with the UE scores derived at ingest.
CREATE TABLE predictions (
    prediction_id       text PRIMARY KEY CHECK (length(prediction_id) BETWEEN 1 AND 200),
    batch_id            bigint NOT NULL REFERENCES ingest_batches,
    batch_seq           integer NOT NULL,
    model               text NOT NULL,
    model_version       text,
    site                text,
    occurred_at         timestamptz NOT NULL,
    case_ref            text,
    image_ref           text,
    attributes          jsonb NOT NULL DEFAULT '{}',
    question            text,
    options             text[] NOT NULL,
    option_logits       double precision[],
    option_probs        double precision[],
    predicted           integer NOT NULL,
    confidence          jsonb NOT NULL DEFAULT '{}',
    uncertainty         jsonb NOT NULL DEFAULT '{}',
    msp                 double precision,
    margin              double precision,
    entropy             double precision,
    perturbation_kind   text,
    perturbation_of     text,
    label               integer,
    escalated           boolean,
    calibration_version bigint,
    row_hash            text NOT NULL,
    ingested_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (batch_id, batch_seq)
);
CREATE INDEX predictions_model_time ON predictions (model, occurred_at);
CREATE INDEX predictions_probe_of ON predictions (perturbation_of) WHERE perturbation_of IS NOT NULL;

-- Clinician ground truth. A later record for the same prediction is a revision; all are kept.
CREATE TABLE ground_truth (
    label_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prediction_id text NOT NULL REFERENCES predictions,
    label         integer NOT NULL CHECK (label >= 0),
    reviewer      text NOT NULL,
    reviewed_at   timestamptz NOT NULL,
    note          text,
    batch_id      bigint NOT NULL REFERENCES ingest_batches,
    batch_seq     integer NOT NULL,
    row_hash      text NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (prediction_id, reviewer, reviewed_at),
    UNIQUE (batch_id, batch_seq)
);

-- The effective label: the newest review (then the newest recorded) wins; a label logged with the
-- prediction (perturbation probes) counts when no clinician has reviewed it.
CREATE VIEW effective_labels AS
SELECT p.prediction_id,
       coalesce(g.label, p.label) AS label,
       g.reviewed_at,
       g.recorded_at
FROM predictions p
LEFT JOIN LATERAL (
    SELECT label, reviewed_at, recorded_at
    FROM ground_truth gt
    WHERE gt.prediction_id = p.prediction_id
    ORDER BY reviewed_at DESC, label_id DESC
    LIMIT 1
) g ON true
WHERE g.label IS NOT NULL OR p.label IS NOT NULL;

-- Everything rejected, verbatim, with the reason: nothing received is lost.
CREATE TABLE quarantine (
    quarantine_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id      bigint NOT NULL REFERENCES ingest_batches,
    batch_seq     integer NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('predictions', 'labels')),
    source        text NOT NULL,
    line_number   bigint,
    prediction_id text,
    field         text,
    reason        text NOT NULL,
    raw           text NOT NULL,
    raw_hash      text NOT NULL,
    row_hash      text NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (batch_id, batch_seq)
);
CREATE INDEX quarantine_recorded ON quarantine (recorded_at);
CREATE INDEX quarantine_raw ON quarantine (raw_hash);

-- Calibration versions: a temperature and an escalation threshold per model, with their evidence.
-- A version never changes; its status is the newest of its calibration_events.
CREATE TABLE calibration_versions (
    version_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model            text NOT NULL,
    method           text NOT NULL,
    temperature      double precision NOT NULL CHECK (temperature > 0),
    threshold        double precision,           -- NULL: no threshold passed, escalate everything
    mode             text NOT NULL CHECK (mode IN ('ltt', 'budget')),
    target_risk      double precision NOT NULL,
    delta            double precision NOT NULL,
    coverage         double precision NOT NULL,
    empirical_risk   double precision,
    guarantee_met    boolean NOT NULL,
    window_from      timestamptz NOT NULL,
    window_to        timestamptz NOT NULL,
    n_fit            integer NOT NULL,
    n_holdout        integer NOT NULL,
    evidence         jsonb NOT NULL,
    code_version     text NOT NULL,
    fitted_by        text NOT NULL,
    content_hash     text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX calibration_versions_model ON calibration_versions (model, version_id);

CREATE TABLE calibration_events (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id      bigint NOT NULL REFERENCES calibration_versions,
    model           text NOT NULL,
    status          text NOT NULL CHECK (status IN ('proposed', 'active', 'retired', 'rejected')),
    actor           text NOT NULL,
    reason          text NOT NULL,
    prev_event_hash text NOT NULL,
    event_hash      text NOT NULL UNIQUE,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX calibration_events_version ON calibration_events (version_id, event_id);

-- The current status of every version: its newest event.
CREATE VIEW calibration_status AS
SELECT DISTINCT ON (e.version_id) e.version_id, e.model, e.status, e.actor, e.reason, e.recorded_at
FROM calibration_events e
ORDER BY e.version_id, e.event_id DESC;

-- At most one active version per model, checked after every event (deferred to commit so that
-- "retire the old, activate the new" can happen in one transaction).
CREATE FUNCTION vlm_audit_check_single_active() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    active_count integer;
BEGIN
    SELECT count(*) INTO active_count FROM calibration_status WHERE model = NEW.model AND status = 'active';
    IF active_count > 1 THEN
        RAISE EXCEPTION 'model % would have % active calibration versions; exactly one may be active',
            NEW.model, active_count USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER calibration_single_active
    AFTER INSERT ON calibration_events DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_check_single_active();

-- Append-only: UPDATE, DELETE and TRUNCATE fail for every role, the owner included.
CREATE FUNCTION vlm_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: vlm-audit records are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Corrections are new rows: a label revision, a new calibration version or event.';
END
$$;

DO $$
DECLARE
    record_table text;
    has_app boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app');
    has_reader boolean := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader');
BEGIN
    FOREACH record_table IN ARRAY ARRAY['ingest_batches', 'ue_methods', 'predictions', 'ground_truth', 'quarantine',
                                        'calibration_versions', 'calibration_events', 'schema_migrations']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION vlm_audit_reject_change()', record_table || '_append_only', record_table);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION vlm_audit_reject_change()', record_table || '_no_truncate', record_table);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', record_table);
        IF has_app THEN EXECUTE format('GRANT SELECT, INSERT ON %I TO vlm_audit_app', record_table); END IF;
        IF has_reader THEN EXECUTE format('GRANT SELECT ON %I TO vlm_audit_reader', record_table); END IF;
    END LOOP;
    IF has_app THEN
        GRANT SELECT ON effective_labels, calibration_status TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
    IF has_reader THEN GRANT SELECT ON effective_labels, calibration_status TO vlm_audit_reader; END IF;
END
$$;
