import AuditCore
import PQ

/// The read queries that feed the statistics.
public enum ScoredPredictionQueries {
    /// Predictions of `model` with from ≤ occurred_at < to (either bound optional), ordered by (occurred_at,
    /// prediction_id); probes included when `includeProbes`; only `ids` when given.
    public static func load(
        _ connection: PQConnection, model: String, from: Timestamp? = nil, to: Timestamp? = nil,
        includeProbes: Bool = true, labeledOnly: Bool = false, ids: [String]? = nil
    ) throws -> [ScoredPrediction] {
        let result = try connection.query(
            """
            SELECT \(columns)
            FROM predictions p
            \(effectiveLabelJoin)
            WHERE p.model = $1
              AND ($2::timestamptz IS NULL OR p.occurred_at >= $2)
              AND ($3::timestamptz IS NULL OR p.occurred_at < $3)
              AND ($4 OR p.perturbation_of IS NULL)
              AND (NOT $5 OR coalesce(g.label, p.label) IS NOT NULL)
              AND ($6::text[] IS NULL OR p.prediction_id = ANY($6))
            ORDER BY p.occurred_at, p.prediction_id
            """, [model, from?.rfc3339, to?.rfc3339, includeProbes, labeledOnly, ids])
        return try decode(result)
    }

    /// The columns ``decode(_:)`` reads, for a query over `predictions p` joined with ``effectiveLabelJoin``.
    static let columns = """
        p.prediction_id, p.model, (extract(epoch FROM p.occurred_at) * 1000000)::int8 AS occurred_us, p.site, p.attributes,
               cardinality(p.options) AS option_count, p.predicted, p.option_logits, p.option_probs,
               coalesce(g.label, p.label) AS effective_label, (extract(epoch FROM g.reviewed_at) * 1000000)::int8 AS reviewed_us,
               p.confidence || p.uncertainty AS scores, p.escalated, p.perturbation_kind, p.perturbation_of,
               (extract(epoch FROM p.ingested_at) * 1000000)::int8 AS ingested_us, p.model_version
        """

    /// The newest clinician review of `p`, as `g` (its label and review time).
    static let effectiveLabelJoin = """
        LEFT JOIN LATERAL (
                SELECT label, reviewed_at FROM ground_truth gt WHERE gt.prediction_id = p.prediction_id
                ORDER BY reviewed_at DESC, label_id DESC LIMIT 1
            ) g ON true
        """

    /// The rows of a query that selected ``columns`` (found by name once for all rows).
    ///
    /// - Throws: ``PQError`` when a column is missing, NULL where a prediction requires a value, or not of its type.
    static func decode(_ result: PQResult) throws -> [ScoredPrediction] {
        // Each column's index, found by name once for all rows.
        let id = try result.column("prediction_id"), model = try result.column("model"), occurred = try result.column("occurred_us")
        let site = try result.column("site"), attributes = try result.column("attributes"), optionCount = try result.column("option_count")
        let predicted = try result.column("predicted"), logits = try result.column("option_logits"),
            probs = try result.column("option_probs")
        let label = try result.column("effective_label"), reviewed = try result.column("reviewed_us"), scores = try result.column("scores")
        let escalated = try result.column("escalated"), kind = try result.column("perturbation_kind")
        let of = try result.column("perturbation_of"), ingested = try result.column("ingested_us"),
            version = try result.column("model_version")
        var rows: [ScoredPrediction] = []
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            rows.append(
                ScoredPrediction(
                    predictionID: try result.decode(row, id),
                    model: try result.decode(row, model),
                    occurredAt: Timestamp(microseconds: try result.decode(row, occurred)),
                    site: try result.decodeIfPresent(row, site),
                    attributes: try RecordColumns.attributes(result, row, attributes),
                    optionCount: try result.decode(row, optionCount),
                    predicted: try result.decode(row, predicted),
                    optionLogits: try result.decodeIfPresent(row, logits),
                    optionProbs: try result.decodeIfPresent(row, probs),
                    label: try result.decodeIfPresent(row, label),
                    labelReviewedAt: try result.decodeIfPresent(row, reviewed, as: Int64.self).map(Timestamp.init(microseconds:)),
                    scores: try RecordColumns.scores(result, row, scores),
                    escalated: try result.decodeIfPresent(row, escalated),
                    perturbationKind: try result.decodeIfPresent(row, kind),
                    perturbationOf: try result.decodeIfPresent(row, of),
                    ingestedAt: Timestamp(microseconds: try result.decode(row, ingested)),
                    modelVersion: try result.decodeIfPresent(row, version)))
        }
        return rows
    }

    /// The clean predictions that the given probes were derived from (for NOTA pairs).
    public static func loadByID(_ connection: PQConnection, model: String, ids: [String]) throws -> [ScoredPrediction] {
        guard !ids.isEmpty else { return [] }
        return try load(connection, model: model, includeProbes: false, ids: ids)
    }

    /// Every model with predictions, with counts.
    public static func models(
        _ connection: PQConnection
    ) throws -> [(model: String, predictions: Int, labeled: Int, first: Timestamp, last: Timestamp)] {
        let result = try connection.query(
            """
            SELECT p.model, count(*) AS predictions, count(e.label) AS labeled,
                   (extract(epoch FROM min(p.occurred_at)) * 1000000)::int8 AS first_us,
                   (extract(epoch FROM max(p.occurred_at)) * 1000000)::int8 AS last_us
            FROM predictions p LEFT JOIN effective_labels e USING (prediction_id)
            GROUP BY p.model ORDER BY p.model
            """)
        return try result.rows.map { row in
            (
                try row.decode("model"), try row.decode("predictions"), try row.decode("labeled"),
                Timestamp(microseconds: try row.decode("first_us")), Timestamp(microseconds: try row.decode("last_us"))
            )
        }
    }

    /// The names of every model with predictions, in order: a skip scan of the (model, occurred_at) index, one index
    /// probe per model instead of a pass over every row.
    public static func modelNames(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query(modelNamesCTE + " SELECT model FROM names WHERE model IS NOT NULL")
        return try result.rows.map { try $0.decode("model") }
    }

    /// `names(model)`: every model with predictions (and a final NULL), found by the skip scan of ``modelNames(_:)``; a
    /// query reading one window of every model joins it laterally, so that it reads the (model, occurred_at) index once
    /// per model instead of every prediction ever stored.
    static let modelNamesCTE = """
        WITH RECURSIVE names(model) AS (
            (SELECT model FROM predictions ORDER BY model LIMIT 1)
            UNION ALL
            SELECT (SELECT p.model FROM predictions p WHERE p.model > names.model ORDER BY p.model LIMIT 1)
            FROM names WHERE names.model IS NOT NULL
        )
        """

    /// True when `model` has at least one stored prediction.
    public static func modelExists(_ connection: PQConnection, model: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM predictions WHERE model = $1)", [model]).bool(0, 0) == true
    }

    /// The orientation of every known UE method.
    public static func orientations(_ connection: PQConnection) throws -> [String: Orientation] {
        let result = try connection.query("SELECT method, orientation FROM ue_methods")
        var map: [String: Orientation] = [:]
        for row in result.rows { map[try row.decode("method")] = try row.decode("orientation", as: Orientation.self) }
        return map
    }

    /// The database clock, so that "now" is the server's, not the client's.
    public static func now(_ connection: PQConnection) throws -> Timestamp {
        Timestamp(
            microseconds: try connection.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8 AS now_us").value("now_us"))
    }
}

extension ScoredPredictionQueries {
    /// The distinct models of the given predictions.
    public static func models(ofPredictions ids: [String], on connection: PQConnection) throws -> [String] {
        guard !ids.isEmpty else { return [] }
        let result = try connection.query("SELECT DISTINCT model FROM predictions WHERE prediction_id = ANY($1) ORDER BY model", [ids])
        return try result.rows.map { try $0.decode("model") }
    }
}
