-- Times of record under the hash chain. Until now a batch's rows took their times of record from column defaults
-- (predictions: when the batch's COPY began; labels and quarantined records: when each was inserted; the batch row:
-- after its rows), and no hash covered them: a superuser with the triggers off could backdate a label unseen.
-- From hash version 2 on, the writer reads the database clock once per batch, under the chain lock, writes that
-- instant into every row of the batch and into the batch row, and the batch's chain hash covers it; `verify` checks that
-- every row of a version-2 batch carries exactly its batch's instant. Batches stored before this migration keep
-- version 1 and verify as before (their times of record stay uncovered). See docs/hash-chain.md.
ALTER TABLE ingest_batches
    ADD COLUMN hash_version smallint NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2));
