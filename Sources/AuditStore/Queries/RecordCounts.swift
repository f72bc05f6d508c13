import AuditCore
import PQ

extension RecordCounts {
    /// Counts every record table.
    public static func read(_ connection: PQConnection) throws -> RecordCounts {
        let counts = try connection.query(
            """
            SELECT (SELECT count(*) FROM predictions) AS predictions, (SELECT count(*) FROM ground_truth) AS labels,
                   (SELECT count(*) FROM quarantine) AS quarantined, (SELECT count(*) FROM ingest_batches) AS batches
            """)
        return RecordCounts(
            predictions: try counts.value("predictions"), labels: try counts.value("labels"),
            quarantined: try counts.value("quarantined"), batches: try counts.value("batches"))
    }
}
