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
    /// Stores a run, links it into the drift chain, and returns its id.
    @discardableResult
    public static func insert(_ connection: PQConnection, _ run: DriftRun) throws -> Int64 {
        let contentHash = ChainHash.sha256(run.canonicalText)
        return try connection.transaction {
            // One writer at a time: runs get their ids, and their links, in the order of the chain.
            try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.driftRuns])
            let result = try connection.query("""
                INSERT INTO drift_runs (model, reference_from, reference_to, current_from, current_to, status, tests_run, findings, content_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING run_id
                """, [run.model, run.reference.from.rfc3339, run.reference.to.rfc3339, run.current.from.rfc3339, run.current.to.rfc3339,
                      run.status, run.testsRun, CanonicalJSON.text(run.findings), contentHash])
            let runID = Int64(result.int(0, 0)!)
            let previous = try chainHead(connection) ?? ChainHash.genesis
            try connection.query("INSERT INTO drift_run_links (run_id, prev_link_hash, link_hash) VALUES ($1, $2, $3)",
                                 [runID, previous, linkHash(previous: previous, runID: runID, contentHash: contentHash)])
            return runID
        }
    }

    /// A run's link in the drift chain (migration 0007 computes the same in SQL for the runs stored before it).
    static func linkHash(previous: String, runID: Int64, contentHash: String) -> String {
        ChainHash.sha256(previous + "\n" + String(runID) + "\n" + contentHash)
    }

    /// The newest run's link hash: the head of the drift chain (nil when no run is stored).
    public static func chainHead(_ connection: PQConnection) throws -> String? {
        let result = try connection.query("SELECT link_hash FROM drift_run_links ORDER BY run_id DESC LIMIT 1")
        return result.rowCount == 0 ? nil : result.string(0, 0)
    }

    /// True when some run's link has `hash` as its link hash (an anchor taken earlier is still there).
    public static func containsLink(_ connection: PQConnection, hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM drift_run_links WHERE link_hash = $1)", [hash]).bool(0, 0) == true
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

    /// Recomputes every run's content hash and the drift chain; returns the problems found.
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
        return problems + (try verifyChain(connection))
    }

    /// Walks the drift chain in run order: every run linked once, every link in sequence and over its run's stored
    /// content hash.
    private static func verifyChain(_ connection: PQConnection) throws -> [String] {
        let links = try connection.query("""
            SELECT run_id, r.content_hash, l.prev_link_hash, l.link_hash
            FROM drift_runs r FULL JOIN drift_run_links l USING (run_id) ORDER BY run_id
            """)
        var problems: [String] = []
        var previous = ChainHash.genesis
        for row in 0..<links.rowCount {
            let runID = Int64(links.int(row, 0)!)
            guard let contentHash = links.string(row, 1) else {
                problems.append("drift run \(runID): missing, though the drift chain links it (deleted)")
                previous = links.string(row, 3)!
                continue
            }
            guard let prev = links.string(row, 2), let link = links.string(row, 3) else {
                problems.append("drift run \(runID): not linked in the drift chain (inserted outside it)")
                continue
            }
            if prev != previous || link != linkHash(previous: previous, runID: runID, contentHash: contentHash) {
                problems.append("drift run \(runID): does not match the drift chain (edited, removed or inserted)")
            }
            previous = link
        }
        return problems
    }
}
