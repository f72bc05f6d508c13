import AuditCore
import PQ

/// Stores and reads drift checks (append-only).
public enum DriftStore {
    /// Stores a run, links it into the drift chain, and returns its id.
    @discardableResult
    public static func insert(_ connection: PQConnection, _ run: DriftRun) throws -> Int64 {
        let contentHash = ChainHash.sha256(run.canonicalText)
        return try connection.transaction {
            // One writer at a time: runs get their ids, and their links, in the order of the chain.
            try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.driftRuns])
            let result = try connection.query(
                """
                INSERT INTO drift_runs (model, reference_from, reference_to, current_from, current_to, status, tests_run, findings, content_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING run_id
                """,
                [
                    run.model, run.reference.from.rfc3339, run.reference.to.rfc3339, run.current.from.rfc3339, run.current.to.rfc3339,
                    run.status, run.testsRun, CanonicalJSON.text(run.findings), contentHash,
                ])
            let runID: Int64 = try result.value("run_id")
            let previous = try chainHead(connection) ?? ChainHash.genesis
            try connection.query(
                "INSERT INTO drift_run_links (run_id, prev_link_hash, link_hash) VALUES ($1, $2, $3)",
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
    public static func latest(
        _ connection: PQConnection, model: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil
    ) throws -> [DriftRun] {
        let result = try connection.query(
            """
            SELECT DISTINCT ON (model) run_id, model, \(runColumns),
                   (extract(epoch FROM recorded_at) * 1000000)::int8 AS recorded_us
            FROM drift_runs
            WHERE ($1::text IS NULL OR model = $1)
              AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3)
            ORDER BY model, run_id DESC
            """, [model, from?.rfc3339, to?.rfc3339])
        return try result.rows.map { row in
            var run = try decodeRun(row)
            run.runID = try row.decode("run_id")
            run.recordedAt = Timestamp(microseconds: try row.decode("recorded_us"))
            return run
        }
    }

    /// The columns ``decodeRun(_:)`` reads besides `model`.
    private static let runColumns = """
        (extract(epoch FROM reference_from) * 1000000)::int8 AS reference_from_us,
        (extract(epoch FROM reference_to) * 1000000)::int8 AS reference_to_us,
        (extract(epoch FROM current_from) * 1000000)::int8 AS current_from_us,
        (extract(epoch FROM current_to) * 1000000)::int8 AS current_to_us, status, tests_run, findings::text
        """

    /// A run's content from a row that selected `model` and ``runColumns``.
    private static func decodeRun(_ row: PQRow) throws -> DriftRun {
        func time(_ column: String) throws -> Timestamp { Timestamp(microseconds: try row.decode(column)) }
        return DriftRun(
            model: try row.decode("model"), reference: (try time("reference_from_us"), try time("reference_to_us")),
            current: (try time("current_from_us"), try time("current_to_us")), status: try row.decode("status"),
            testsRun: try row.decode("tests_run"), findings: try JSONParser.parse(try row.decode("findings") as String, maximumDepth: 64))
    }

    /// Recomputes every run's content hash and the drift chain; returns the problems found.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query(
            """
            SELECT run_id, model, \(runColumns), content_hash
            FROM drift_runs ORDER BY run_id
            """)
        var problems: [String] = []
        for row in result.rows {
            let run = try decodeRun(row)
            if try ChainHash.sha256(run.canonicalText) != row.decode("content_hash") {
                problems.append("drift run \(try row.decode("run_id", as: Int64.self)): content does not match its hash (edited)")
            }
        }
        return problems + (try verifyChain(connection))
    }

    /// Walks the drift chain in run order: every run linked once, every link in sequence and over its run's stored
    /// content hash.
    private static func verifyChain(_ connection: PQConnection) throws -> [String] {
        let links = try connection.query(
            """
            SELECT run_id, r.content_hash, l.prev_link_hash, l.link_hash
            FROM drift_runs r FULL JOIN drift_run_links l USING (run_id) ORDER BY run_id
            """)
        var problems: [String] = []
        var previous = ChainHash.genesis
        for row in links.rows {
            let runID: Int64 = try row.decode("run_id")
            guard let contentHash: String = try row.decodeIfPresent("content_hash") else {
                problems.append("drift run \(runID): missing, though the drift chain links it (deleted)")
                previous = try row.decode("link_hash")
                continue
            }
            guard let prev: String = try row.decodeIfPresent("prev_link_hash"), let link: String = try row.decodeIfPresent("link_hash")
            else {
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
