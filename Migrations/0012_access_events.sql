-- Who read what (docs/access-audit.md): every read of record-level or derived data, over HTTP or from the command line,
-- allowed, denied or failed. Append-only and hash-chained like the other records, so `verify` covers it:
--   event_hash = sha256_hex(prev_event_hash || '\n' || canonical JSON of the row's fields but event_id and recorded_at),
--   the first prev 64 zeros. The HTTP service writes its events in small batches (one transaction, one link per event);
--   links are appended under an advisory lock, so prev_event_hash needs no unique index of its own (the read path pays
--   for every index of this table).
-- `object` holds what was read as canonical JSON (model, month, ids): references only, never record content.
CREATE TABLE access_events (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('http', 'cli')),
    actor           text NOT NULL,
    database_role   text NOT NULL,
    action          text NOT NULL,
    object          text NOT NULL,
    client          text,
    outcome         text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
    status          integer,
    prev_event_hash text NOT NULL,
    event_hash      text NOT NULL UNIQUE,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX access_events_time ON access_events (occurred_at);
CREATE INDEX access_events_actor ON access_events (actor, occurred_at);

CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON access_events
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON access_events
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
REVOKE ALL ON access_events FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON access_events TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
    -- A reader's reads are logged under the reader's own role: it appends to the access log (and only to it).
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
        GRANT SELECT, INSERT ON access_events TO vlm_audit_reader;
        GRANT USAGE ON SEQUENCE access_events_event_id_seq TO vlm_audit_reader;
    END IF;
END
$$;
