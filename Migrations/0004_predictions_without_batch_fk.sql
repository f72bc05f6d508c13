-- The foreign key from predictions to ingest_batches fired a row-level check for every ingested prediction
-- (about a fifth of the database's time in a bulk load). It guarded nothing the hash chain does not: rows are
-- written only inside the transaction that creates their batch, and `verify` reports any row whose batch is
-- missing (an orphan) as well as any row changed, removed or added. Labels and quarantine keep their keys
-- (they are far fewer).
ALTER TABLE predictions DROP CONSTRAINT predictions_batch_id_fkey;
