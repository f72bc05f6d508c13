import PQ

/// Totals over the record tables, for status lines and checks.
public struct RecordCounts: Sendable, Equatable {
    public let predictions: Int
    public let labels: Int
    public let quarantined: Int
    public let batches: Int

    /// Counts every record table.
    public static func read(_ connection: PQConnection) throws -> RecordCounts {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM predictions), (SELECT count(*) FROM ground_truth),
                   (SELECT count(*) FROM quarantine), (SELECT count(*) FROM ingest_batches)
            """)
        return RecordCounts(predictions: row.int(0, 0) ?? 0, labels: row.int(0, 1) ?? 0,
                            quarantined: row.int(0, 2) ?? 0, batches: row.int(0, 3) ?? 0)
    }
}
