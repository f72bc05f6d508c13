import PQ

/// Totals over the record tables, for status lines and checks.
public struct RecordCounts: Sendable, Equatable {
    public let predictions: Int
    public let labels: Int
    public let quarantined: Int
    public let batches: Int

    /// Counts every record table.
    public static func read(_ connection: PQConnection) throws -> RecordCounts {
        let counts = try connection.query("""
            SELECT (SELECT count(*) FROM predictions) AS predictions, (SELECT count(*) FROM ground_truth) AS labels,
                   (SELECT count(*) FROM quarantine) AS quarantined, (SELECT count(*) FROM ingest_batches) AS batches
            """)
        return RecordCounts(predictions: try counts.value("predictions"), labels: try counts.value("labels"),
                            quarantined: try counts.value("quarantined"), batches: try counts.value("batches"))
    }
}
