import AuditCore
import PQ

/// One stored drift check of one model.
public struct DriftRun: Sendable {
    public var runID: Int64 = 0
    public let model: String
    public let reference: (from: Timestamp, to: Timestamp)
    public let current: (from: Timestamp, to: Timestamp)
    /// OK, WARN or ALERT.
    public let status: String
    public let testsRun: Int
    /// The findings document (canonical JSON).
    public let findings: JSONValue
    public var recordedAt: Timestamp?

    public init(model: String, reference: (from: Timestamp, to: Timestamp), current: (from: Timestamp, to: Timestamp),
                status: String, testsRun: Int, findings: JSONValue) {
        self.model = model
        self.reference = reference
        self.current = current
        self.status = status
        self.testsRun = testsRun
        self.findings = findings
    }

    var canonicalText: String {
        CanonicalJSON.text(.object(JSONObject([
            ("current_from", .string(current.from.rfc3339)), ("current_to", .string(current.to.rfc3339)),
            ("findings", findings), ("model", .string(model)), ("reference_from", .string(reference.from.rfc3339)),
            ("reference_to", .string(reference.to.rfc3339)), ("status", .string(status)), ("tests_run", .integer(Int64(testsRun))),
        ])))
    }
}

/// Stores and reads drift checks (append-only).
public enum DriftStore {
    /// Stores a run and returns its id.
    @discardableResult
    public static func insert(_ connection: PQConnection, _ run: DriftRun) throws -> Int64 {
        let result = try connection.query("""
            INSERT INTO drift_runs (model, reference_from, reference_to, current_from, current_to, status, tests_run, findings, content_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING run_id
            """, [run.model, run.reference.from.rfc3339, run.reference.to.rfc3339, run.current.from.rfc3339, run.current.to.rfc3339,
                  run.status, run.testsRun, CanonicalJSON.text(run.findings), ChainHash.sha256(run.canonicalText)])
        return Int64(result.int(0, 0)!)
    }

    /// The newest run of each model (or of one), optionally only runs recorded in [from, to).
    public static func latest(_ connection: PQConnection, model: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil) throws -> [DriftRun] {
        let result = try connection.query("""
            SELECT DISTINCT ON (model) run_id, model, (extract(epoch FROM reference_from) * 1000000)::int8,
                   (extract(epoch FROM reference_to) * 1000000)::int8, (extract(epoch FROM current_from) * 1000000)::int8,
                   (extract(epoch FROM current_to) * 1000000)::int8, status, tests_run, findings::text,
                   (extract(epoch FROM recorded_at) * 1000000)::int8
            FROM drift_runs
            WHERE ($1::text IS NULL OR model = $1)
              AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3)
            ORDER BY model, run_id DESC
            """, [model, from?.rfc3339, to?.rfc3339])
        return try (0..<result.rowCount).map { row in
            func time(_ column: Int) -> Timestamp { Timestamp(microseconds: Int64(result.int(row, column)!)) }
            var run = DriftRun(
                model: result.string(row, 1)!, reference: (time(2), time(3)), current: (time(4), time(5)),
                status: result.string(row, 6)!, testsRun: result.int(row, 7)!,
                findings: try JSONParser.parse(result.string(row, 8)!, maximumDepth: 64))
            run.runID = Int64(result.int(row, 0)!)
            run.recordedAt = time(9)
            return run
        }
    }

    /// Recomputes every run's content hash; returns the problems found.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query("""
            SELECT run_id, model, (extract(epoch FROM reference_from) * 1000000)::int8, (extract(epoch FROM reference_to) * 1000000)::int8,
                   (extract(epoch FROM current_from) * 1000000)::int8, (extract(epoch FROM current_to) * 1000000)::int8,
                   status, tests_run, findings::text, content_hash
            FROM drift_runs ORDER BY run_id
            """)
        var problems: [String] = []
        for row in 0..<result.rowCount {
            func time(_ column: Int) -> Timestamp { Timestamp(microseconds: Int64(result.int(row, column)!)) }
            let run = DriftRun(
                model: result.string(row, 1)!, reference: (time(2), time(3)), current: (time(4), time(5)),
                status: result.string(row, 6)!, testsRun: result.int(row, 7)!, findings: try JSONParser.parse(result.string(row, 8)!, maximumDepth: 64))
            if ChainHash.sha256(run.canonicalText) != result.string(row, 9)! {
                problems.append("drift run \(result.int(row, 0)!): content does not match its hash (edited)")
            }
        }
        return problems
    }
}
