import AuditCore
import PQ

/// The monitor events (append-only, hash-chained) and the stream queries the monitor reads.
public enum MonitorStore {
    /// Runs `body` in a transaction that holds the lock serialising looks at `model`'s monitors.
    public static func withModelLocked<T>(_ connection: PQConnection, model: String, _ body: () throws -> T) throws -> T {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1::int4, hashtext($2))", [StoreLocks.monitorModel, model])
            return try body()
        }
    }

    /// The newest ingest batch: every batch up to it has committed or rolled back (batches commit in id order).
    public static func batchHead(_ connection: PQConnection) throws -> Int64 {
        try connection.query("SELECT coalesce(max(batch_id), 0) AS head FROM ingest_batches").value("head")
    }

    /// Each monitor's newest state ('open' or 'update' event) for the model's version, by slice.
    public static func states(_ connection: PQConnection, model: String, versionID: Int64) throws -> [MonitorEvent] {
        try select(
            connection,
            where: """
                event_id IN (SELECT DISTINCT ON (slice_attribute, slice_value) event_id FROM monitor_events
                             WHERE model = $1 AND version_id = $2 AND kind <> 'alarm'
                             ORDER BY slice_attribute, slice_value, event_id DESC)
                """, [model, versionID])
    }

    /// Alarm events, oldest first: of one model's version, of one model, or of all.
    public static func alarms(_ connection: PQConnection, model: String? = nil, versionID: Int64? = nil) throws -> [MonitorEvent] {
        try select(
            connection, where: "kind = 'alarm' AND ($1::text IS NULL OR model = $1) AND ($2::int8 IS NULL OR version_id = $2)",
            [model, versionID])
    }

    /// Every event of a model (all versions), oldest first, optionally only those recorded in [from, to).
    public static func history(
        _ connection: PQConnection, model: String, from: Timestamp? = nil, to: Timestamp? = nil
    ) throws -> [MonitorEvent] {
        try select(
            connection,
            where: """
                model = $1 AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3)
                """, [model, from?.rfc3339, to?.rfc3339])
    }

    /// Appends events in order, each chained after the newest.
    public static func append(_ connection: PQConnection, _ events: [MonitorEvent]) throws {
        guard !events.isEmpty else { return }
        try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.monitorEvents])
        var previous = try chainHead(connection) ?? ChainHash.genesis
        for event in events {
            let hash = ChainHash.sha256(previous + "\n" + event.canonicalText)
            try connection.query(
                """
                INSERT INTO monitor_events (kind, model, version_id, slice_attribute, slice_value, alpha, delta, threshold, batch_cursor,
                    observations, errors, log_e_value, max_log_e_value, alarm_at, alarm_prediction_id, last_prediction_id, reason,
                    prev_event_hash, event_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                """,
                [
                    event.kind.rawValue, event.model, event.versionID, event.slice.attribute, event.slice.value, event.alpha, event.delta,
                    event.threshold, event.batchCursor, event.observations, event.errors, event.logEValue, event.maxLogEValue,
                    event.alarmAt, event.alarmPredictionID, event.lastPredictionID, event.reason, previous, hash,
                ])
            previous = hash
        }
    }

    /// The distinct values of each attribute among the model's clean predictions with from ≤ occurred_at < to.
    public static func sliceValues(
        _ connection: PQConnection, model: String, attributes: [String], from: Timestamp, to: Timestamp
    ) throws -> [MonitorSlice] {
        guard !attributes.isEmpty else { return [] }
        let result = try connection.query(
            """
            SELECT DISTINCT a.name, CASE WHEN a.name = 'site' THEN p.site ELSE p.attributes ->> a.name END AS value
            FROM predictions p CROSS JOIN unnest($2::text[]) AS a(name)
            WHERE p.model = $1 AND p.perturbation_of IS NULL AND p.occurred_at >= $3 AND p.occurred_at < $4
            ORDER BY 1, 2
            """, [model, attributes, from.rfc3339, to.rfc3339])
        return try result.rows.compactMap { row in
            try row.decodeIfPresent("value", as: String.self).map { MonitorSlice(attribute: try row.decode("name"), value: $0) }
        }
    }

    /// The model's audit members with `occurred_at ≥ from` whose first effective label arrived in a batch in
    /// (cursor, head]: the labels a look has not read yet, each prediction once, in (batch of its first label,
    /// occurred_at, prediction_id) order, with its effective label now.
    public static func freshLabeledMembers(
        _ connection: PQConnection, model: String, from: Timestamp, cursor: Int64, head: Int64
    ) throws -> [ScoredPrediction] {
        guard head > cursor else { return [] }
        // Two steps, each bounded by the new labels (of every model: the model is known only through the prediction), so
        // that no plan can rescan history. Without fresh statistics after a bulk load the planner once joined the new
        // labels against every prediction of the model (35 million comparisons for 1 666 predictions), and a model filter
        // here once made it scan the model's whole time index.
        let arrived = try connection.query(
            """
            SELECT prediction_id, min(batch_id) AS first_batch FROM (
                SELECT gt.prediction_id, gt.batch_id FROM ground_truth gt WHERE gt.batch_id > $1 AND gt.batch_id <= $2
                UNION ALL
                SELECT p.prediction_id, p.batch_id FROM predictions p
                WHERE p.batch_id > $1 AND p.batch_id <= $2 AND p.label IS NOT NULL
            ) labels GROUP BY prediction_id
            """, [cursor, head])
        guard arrived.rowCount > 0 else { return [] }
        let arrivedRows = arrived.rows
        let ids = try arrivedRows.map { try $0.decode("prediction_id", as: String.self) }
        let batches = try arrivedRows.map { try $0.decode("first_batch", as: Int64.self) }
        let result = try connection.query(
            """
            SELECT \(ScoredPredictionQueries.columns)
            FROM unnest($1::text[], $2::int8[]) AS f(prediction_id, first_batch)
            -- OFFSET 0 keeps this a look-up by primary key per new label, whatever the statistics say about the model's rows.
            CROSS JOIN LATERAL (SELECT * FROM predictions p0 WHERE p0.prediction_id = f.prediction_id OFFSET 0) p
            \(AuditPlanStore.memberJoin)
            \(ScoredPredictionQueries.effectiveLabelJoin)
            WHERE p.model = $3 AND p.perturbation_of IS NULL AND p.occurred_at >= $4
              AND NOT (p.label IS NOT NULL AND p.batch_id <= $5)
              AND NOT EXISTS (SELECT 1 FROM ground_truth earlier WHERE earlier.prediction_id = p.prediction_id AND earlier.batch_id <= $5)
            ORDER BY f.first_batch, p.occurred_at, p.prediction_id
            """, [ids, batches, model, from.rfc3339, cursor])
        return try ScoredPredictionQueries.decode(result)
    }

    /// The whole stream of audit members with from ≤ occurred_at < to and an effective label, in the order the monitor
    /// read it: (batch of the first label, occurred_at, prediction_id). For the report's replay; reads by the model's
    /// time index, not by label batch.
    public static func stream(_ connection: PQConnection, model: String, from: Timestamp, to: Timestamp) throws -> [ScoredPrediction] {
        let result = try connection.query(
            """
            SELECT \(ScoredPredictionQueries.columns)
            FROM predictions p
            \(AuditPlanStore.memberJoin)
            \(ScoredPredictionQueries.effectiveLabelJoin)
            JOIN LATERAL (
                SELECT least(CASE WHEN p.label IS NOT NULL THEN p.batch_id END,
                             (SELECT min(gt.batch_id) FROM ground_truth gt WHERE gt.prediction_id = p.prediction_id)) AS first_batch
            ) f ON f.first_batch IS NOT NULL
            WHERE p.model = $1 AND p.perturbation_of IS NULL AND p.occurred_at >= $2 AND p.occurred_at < $3
            ORDER BY f.first_batch, p.occurred_at, p.prediction_id
            """, [model, from.rfc3339, to.rfc3339])
        return try ScoredPredictionQueries.decode(result)
    }

    /// The newest event's hash: the head of the monitor chain (nil when no event exists).
    public static func chainHead(_ connection: PQConnection) throws -> String? {
        let result = try connection.query("SELECT event_hash FROM monitor_events ORDER BY event_id DESC LIMIT 1")
        return result.rowCount == 0 ? nil : result.string(0, 0)
    }

    /// True when some monitor event has `hash` as its event hash.
    public static func containsLink(_ connection: PQConnection, hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM monitor_events WHERE event_hash = $1)", [hash]).bool(0, 0) == true
    }

    /// Recomputes the monitor chain; returns the problems found.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        var problems: [String] = []
        var previous = ChainHash.genesis
        for event in try select(connection, where: "true", []) {
            if event.prevEventHash != previous || event.eventHash != ChainHash.sha256(previous + "\n" + event.canonicalText) {
                problems.append("monitor event \(event.eventID): does not match the monitor chain (edited, removed or inserted)")
            }
            previous = event.eventHash
        }
        return problems
    }

    private static func select(
        _ connection: PQConnection, where condition: String, _ parameters: [(any PQEncodable)?]
    ) throws -> [MonitorEvent] {
        let result = try connection.query(
            """
            SELECT event_id, kind, model, version_id, slice_attribute, slice_value, alpha, delta, threshold, batch_cursor, observations,
                   errors, log_e_value, max_log_e_value, alarm_at, alarm_prediction_id, last_prediction_id, reason, event_hash,
                   (extract(epoch FROM recorded_at) * 1000000)::int8 AS recorded_us, prev_event_hash
            FROM monitor_events WHERE \(condition) ORDER BY event_id
            """, parameters)
        return try result.rows.map { row in
            var event = MonitorEvent(
                kind: try row.decode("kind"), model: try row.decode("model"), versionID: try row.decode("version_id"),
                slice: MonitorSlice(attribute: try row.decode("slice_attribute"), value: try row.decode("slice_value")),
                alpha: try row.decode("alpha"), delta: try row.decode("delta"), threshold: try row.decodeIfPresent("threshold"),
                batchCursor: try row.decode("batch_cursor"), observations: try row.decode("observations"), errors: try row.decode("errors"),
                logEValue: try row.decode("log_e_value"), maxLogEValue: try row.decode("max_log_e_value"),
                alarmAt: try row.decodeIfPresent("alarm_at"), alarmPredictionID: try row.decodeIfPresent("alarm_prediction_id"),
                lastPredictionID: try row.decodeIfPresent("last_prediction_id"), reason: try row.decode("reason"))
            event.eventID = try row.decode("event_id")
            event.eventHash = try row.decode("event_hash")
            event.recordedAt = Timestamp(microseconds: try row.decode("recorded_us"))
            event.prevEventHash = try row.decode("prev_event_hash")
            return event
        }
    }
}

extension MonitorEventKind: PQDecodable {}
