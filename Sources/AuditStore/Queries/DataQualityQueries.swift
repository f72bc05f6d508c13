import AuditCore
import PQ

/// Read queries for the data-quality section of reports.
public enum DataQualityQueries {
    /// Records quarantined in [from, to), grouped by the field at fault, with one example reason each.
    public static func quarantinedByField(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> [(field: String, count: Int, example: String)] {
        let result = try connection.query("""
            SELECT coalesce(field, 'record'), count(*), min(reason) FROM quarantine
            WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1 ORDER BY 2 DESC, 1
            """, [from.rfc3339, to.rfc3339])
        return (0..<result.rowCount).map { (result.string($0, 0)!, result.int($0, 1)!, result.string($0, 2)!) }
    }

    /// Labels quarantined in [from, to) because their prediction was unknown.
    public static func unknownPredictionLabels(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> Int {
        try connection.query("""
            SELECT count(*) FROM quarantine
            WHERE kind = 'labels' AND reason LIKE 'label for unknown prediction%' AND recorded_at >= $1 AND recorded_at < $2
            """, [from.rfc3339, to.rfc3339]).int(0, 0) ?? 0
    }

    /// Labels of predictions made in [from, to) that were reviewed more than `days` days after the prediction.
    public static func lateLabels(_ connection: PQConnection, from: Timestamp, to: Timestamp, days: Int = 30) throws -> Int {
        try connection.query("""
            SELECT count(*) FROM ground_truth g JOIN predictions p USING (prediction_id)
            WHERE p.occurred_at >= $1 AND p.occurred_at < $2 AND g.reviewed_at - p.occurred_at > make_interval(days => $3)
            """, [from.rfc3339, to.rfc3339, days]).int(0, 0) ?? 0
    }
}
