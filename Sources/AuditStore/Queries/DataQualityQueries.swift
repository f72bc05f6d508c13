import AuditCore
import PQ

/// Read queries for the data-quality section of reports.
public enum DataQualityQueries {
    /// Records quarantined in [from, to), grouped by the field at fault, with one example reason each.
    public static func quarantinedByField(
        _ connection: PQConnection, from: Timestamp, to: Timestamp
    ) throws -> [(field: String, count: Int, example: String)] {
        let result = try connection.query(
            """
            SELECT coalesce(field, 'record') AS field, count(*) AS records, min(reason) AS example FROM quarantine
            WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY 1 ORDER BY 2 DESC, 1
            """, [from.rfc3339, to.rfc3339])
        return try result.rows.map { (try $0.decode("field"), try $0.decode("records"), try $0.decode("example")) }
    }

    /// Labels quarantined in [from, to) because their prediction was unknown.
    public static func unknownPredictionLabels(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> Int {
        try connection.query(
            """
            SELECT count(*) AS labels FROM quarantine
            WHERE kind = 'labels' AND reason LIKE 'label for unknown prediction%' AND recorded_at >= $1 AND recorded_at < $2
            """, [from.rfc3339, to.rfc3339]
        ).value("labels")
    }

    /// Labels of predictions made in [from, to) that were reviewed more than `days` days after the prediction (read
    /// per model through the (model, occurred_at) index: the month's predictions, not the whole table).
    public static func lateLabels(_ connection: PQConnection, from: Timestamp, to: Timestamp, days: Int = 30) throws -> Int {
        try connection.query(
            """
            \(ScoredPredictionQueries.modelNamesCTE)
            SELECT count(*) AS labels
            FROM names
            JOIN LATERAL (
                SELECT prediction_id, occurred_at FROM predictions p
                WHERE p.model = names.model AND p.occurred_at >= $1 AND p.occurred_at < $2
            ) p ON true
            JOIN ground_truth g ON g.prediction_id = p.prediction_id
            WHERE g.reviewed_at - p.occurred_at > make_interval(days => $3)
            """, [from.rfc3339, to.rfc3339, days]
        ).value("labels")
    }
}
