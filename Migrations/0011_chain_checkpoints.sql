-- Checkpoints of the records chain (docs/hash-chain.md, "Checkpoints and incremental verify"). `verify --checkpoint`
-- seals the head of a chain it has just verified: the newest batch, its chain hash, how many batches and rows lead to
-- it, and the UE methods those rows carry (the registry check of a later incremental verify needs them). `verify` then
-- checks only the batches after the newest checkpoint; `verify --full` still checks from genesis.
-- Checkpoints form their own chain, append-only like the others:
--   checkpoint_hash = sha256_hex(prev_checkpoint_hash || '\n' || canonical JSON of the row's fields), the first prev
--   64 zeros.
CREATE TABLE chain_checkpoints (
    checkpoint_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id             bigint NOT NULL CHECK (batch_id > 0),
    batch_chain_hash     text NOT NULL,
    batches              bigint NOT NULL CHECK (batches > 0),
    row_count            bigint NOT NULL CHECK (row_count >= 0),
    confidence_methods   text[] NOT NULL,
    uncertainty_methods  text[] NOT NULL,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL,
    prev_checkpoint_hash text NOT NULL UNIQUE,
    checkpoint_hash      text NOT NULL UNIQUE
);

CREATE TRIGGER chain_checkpoints_append_only BEFORE UPDATE OR DELETE ON chain_checkpoints
    FOR EACH ROW EXECUTE FUNCTION vlm_audit_reject_change();
CREATE TRIGGER chain_checkpoints_no_truncate BEFORE TRUNCATE ON chain_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION vlm_audit_reject_change();
REVOKE ALL ON chain_checkpoints FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_app') THEN
        GRANT SELECT, INSERT ON chain_checkpoints TO vlm_audit_app;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO vlm_audit_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vlm_audit_reader') THEN
        GRANT SELECT ON chain_checkpoints TO vlm_audit_reader;
    END IF;
END
$$;
