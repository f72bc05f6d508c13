import AuditCore
import PQ

/// The chain checkpoints (migration 0011): sealed, verified heads of the records chain, chained among themselves.
public enum CheckpointStore {
    private static let columns = """
        checkpoint_id, batch_id, batch_chain_hash, batches, row_count, confidence_methods, uncertainty_methods, created_by,
        created_at, checkpoint_hash, prev_checkpoint_hash
        """

    /// The newest checkpoint, if any was sealed.
    public static func newest(_ connection: PQConnection) throws -> ChainCheckpoint? {
        try connection.query("SELECT \(columns) FROM chain_checkpoints ORDER BY checkpoint_id DESC LIMIT 1").rows.first.map(decode)
    }

    /// Seals `head` (a batch and its chain hash, verified with everything before it) as the next checkpoint, recorded as
    /// sealed by `by` (the operating-system user) and the session's database role.
    ///
    /// Appended under the checkpoint chain's advisory lock, so two sealing at once never fork the chain.
    /// - Throws: ``CheckpointError`` when `head` is not newer than the newest checkpoint.
    public static func seal(
        _ connection: PQConnection, batchID: Int64, batchChainHash: String, batches: Int, rows: Int, confidenceMethods: Set<String>,
        uncertaintyMethods: Set<String>, by: String
    ) throws -> ChainCheckpoint {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.checkpoints])
            let newest = try newest(connection)
            if let newest, newest.batchID >= batchID {
                throw CheckpointError(
                    description: "checkpoint \(newest.checkpointID) already seals batch \(newest.batchID); nothing newer to seal")
            }
            let now = try ScoredPredictionQueries.now(connection)
            let createdBy = "\(by) (database role \(try AuditDatabase.sessionRole(connection)))"
            let unsealed = ChainCheckpoint(
                checkpointID: 0, batchID: batchID, batchChainHash: batchChainHash, batches: batches, rows: rows,
                confidenceMethods: confidenceMethods.sorted(), uncertaintyMethods: uncertaintyMethods.sorted(), createdBy: createdBy,
                createdAt: now, checkpointHash: "")
            let previous = newest?.checkpointHash ?? ChainHash.genesis
            let hash = linkHash(previous: previous, unsealed)
            let id: Int64 = try connection.query(
                """
                INSERT INTO chain_checkpoints (batch_id, batch_chain_hash, batches, row_count, confidence_methods,
                    uncertainty_methods, created_by, created_at, prev_checkpoint_hash, checkpoint_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9, $10) RETURNING checkpoint_id
                """,
                [
                    batchID, batchChainHash, Int64(batches), Int64(rows), unsealed.confidenceMethods, unsealed.uncertaintyMethods,
                    createdBy, unsealed.createdAt.rfc3339, previous, hash,
                ]
            ).value("checkpoint_id")
            return ChainCheckpoint(
                checkpointID: id, batchID: batchID, batchChainHash: batchChainHash, batches: batches, rows: rows,
                confidenceMethods: unsealed.confidenceMethods, uncertaintyMethods: unsealed.uncertaintyMethods, createdBy: createdBy,
                createdAt: unsealed.createdAt, checkpointHash: hash)
        }
    }

    /// Walks the checkpoint chain: every link over its row's fields and in sequence, and every sealed batch still in the
    /// records chain with the chain hash sealed and as many batches up to it as were sealed. A records chain rewritten
    /// before a checkpoint (every later hash recomputed) no longer matches it, whether `verify` runs in full or not.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query(
            """
            SELECT \(columns), b.chain_hash AS stored_batch_hash,
                   (SELECT count(*) FROM ingest_batches WHERE batch_id <= c.batch_id) AS batches_up_to
            FROM chain_checkpoints c LEFT JOIN ingest_batches b USING (batch_id) ORDER BY checkpoint_id
            """)
        var problems: [String] = []
        var previous = ChainHash.genesis
        for row in result.rows {
            let checkpoint = try decode(row)
            let name = "checkpoint \(checkpoint.checkpointID)"
            let storedPrevious: String = try row.decode("prev_checkpoint_hash")
            if storedPrevious != previous || linkHash(previous: storedPrevious, checkpoint) != checkpoint.checkpointHash {
                problems.append("\(name): does not match the checkpoint chain (edited, removed or inserted)")
            }
            previous = checkpoint.checkpointHash
            guard let batchHash: String = try row.decodeIfPresent("stored_batch_hash") else {
                problems.append("\(name): batch \(checkpoint.batchID), which it seals, is missing (deleted)")
                continue
            }
            if batchHash != checkpoint.batchChainHash {
                problems.append(
                    "\(name): batch \(checkpoint.batchID)'s chain hash is no longer the one sealed (the chain was rewritten before it)")
            }
            let batchesUpTo: Int = try row.decode("batches_up_to")
            if batchesUpTo != checkpoint.batches {
                problems.append(
                    "\(name): \(batchesUpTo) batches lead to batch \(checkpoint.batchID), but \(checkpoint.batches) were sealed "
                        + "(batches were removed or inserted before it)")
            }
        }
        return problems
    }

    /// The newest checkpoint's hash (nil when none was sealed).
    public static func chainHead(_ connection: PQConnection) throws -> String? {
        try newest(connection)?.checkpointHash
    }

    /// True when some checkpoint has `hash` as its hash (an anchor taken earlier is still there).
    public static func containsLink(_ connection: PQConnection, hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM chain_checkpoints WHERE checkpoint_hash = $1)", [hash]).bool(0, 0) == true
    }

    static func linkHash(previous: String, _ checkpoint: ChainCheckpoint) -> String {
        ChainHash.sha256(previous + "\n" + checkpoint.canonicalText)
    }

    private static func decode(_ row: PQRow) throws -> ChainCheckpoint {
        ChainCheckpoint(
            checkpointID: try row.decode("checkpoint_id"), batchID: try row.decode("batch_id"),
            batchChainHash: try row.decode("batch_chain_hash"), batches: try row.decode("batches"), rows: try row.decode("row_count"),
            confidenceMethods: try row.decode("confidence_methods"), uncertaintyMethods: try row.decode("uncertainty_methods"),
            createdBy: try row.decode("created_by"), createdAt: try row.decode("created_at"),
            checkpointHash: try row.decode("checkpoint_hash"))
    }
}

/// A checkpoint that cannot be sealed, and why.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
