-- A prediction's ingested_at was clock_timestamp(), a volatile default. A volatile default makes COPY insert one row
-- at a time (PostgreSQL must evaluate it per row, and such an expression might read the table being loaded), so every
-- ingested prediction paid its own heap insert and WAL record. statement_timestamp() is stable: COPY then inserts in
-- multi-row groups. It is still the database's clock, the time the batch's COPY began; every row of a batch shares it
-- (the batch lands in one transaction, so its rows were never visible one by one). The batch's own row in
-- ingest_batches keeps clock_timestamp(), taken after its rows.
ALTER TABLE predictions ALTER COLUMN ingested_at SET DEFAULT statement_timestamp();
