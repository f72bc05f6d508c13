import AuditCore
import PQ

/// The records an export of [from, to) names beside the stores' own lists: ingest batches and label revisions.
public enum ExportQueries {
    /// Ingest batches committed in [from, to), in chain order.
    public static func batches(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> [IngestBatchSummary] {
        try connection.query(
            """
            SELECT batch_id, kind, source, inserted_count, duplicate_count, rejected_count, chain_hash, code_version,
                   (extract(epoch FROM ingested_at) * 1000000)::int8 AS ingested_us
            FROM ingest_batches WHERE ingested_at >= $1 AND ingested_at < $2 ORDER BY batch_id
            """, [from.rfc3339, to.rfc3339]
        ).rows.map { row in
            IngestBatchSummary(
                batchID: try row.decode("batch_id"), kind: try row.decode("kind"), source: try row.decode("source"),
                inserted: try row.decode("inserted_count"), duplicates: try row.decode("duplicate_count"),
                rejected: try row.decode("rejected_count"), chainHash: try row.decode("chain_hash"),
                codeVersion: try row.decode("code_version"), ingestedAt: Timestamp(microseconds: try row.decode("ingested_us")))
        }
    }

    /// Labels recorded in [from, to) that revise an earlier label of the same prediction.
    public static func labelRevisions(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> [LabelRevision] {
        try connection.query(
            """
            SELECT g.label_id, g.prediction_id, g.reviewer, g.batch_id,
                   (extract(epoch FROM g.reviewed_at) * 1000000)::int8 AS reviewed_us,
                   (extract(epoch FROM g.recorded_at) * 1000000)::int8 AS recorded_us
            FROM ground_truth g
            WHERE g.recorded_at >= $1 AND g.recorded_at < $2
              AND EXISTS (SELECT 1 FROM ground_truth e WHERE e.prediction_id = g.prediction_id AND e.label_id < g.label_id)
            ORDER BY g.label_id
            """, [from.rfc3339, to.rfc3339]
        ).rows.map { row in
            LabelRevision(
                labelID: try row.decode("label_id"), predictionID: try row.decode("prediction_id"), reviewer: try row.decode("reviewer"),
                reviewedAt: Timestamp(microseconds: try row.decode("reviewed_us")),
                recordedAt: Timestamp(microseconds: try row.decode("recorded_us")), batchID: try row.decode("batch_id"))
        }
    }
}
