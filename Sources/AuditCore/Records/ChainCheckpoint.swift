/// A sealed, verified head of the records chain (docs/hash-chain.md, "Checkpoints and incremental verify").
///
/// `verify --checkpoint` writes one after verifying the chain up to `batchID`; a later `verify` checks only the batches
/// after the newest checkpoint, starting from `batchChainHash`, and `verify --full` still checks from genesis.
/// Checkpoints are chained among themselves.
public struct ChainCheckpoint: Sendable, Equatable {
    public let checkpointID: Int64
    /// The newest batch of the verified range and its chain hash.
    public let batchID: Int64
    public let batchChainHash: String
    /// Batches and rows from genesis through `batchID`.
    public let batches: Int
    public let rows: Int
    /// The UE methods the range's predictions carry on each side (sorted): the registry check of a later incremental
    /// verify compares the registry with these and the new rows' methods.
    public let confidenceMethods: [String]
    public let uncertaintyMethods: [String]
    /// Who sealed it (operating-system user and database role) and when.
    public let createdBy: String
    public let createdAt: Timestamp
    public let checkpointHash: String

    public init(
        checkpointID: Int64, batchID: Int64, batchChainHash: String, batches: Int, rows: Int, confidenceMethods: [String],
        uncertaintyMethods: [String], createdBy: String, createdAt: Timestamp, checkpointHash: String
    ) {
        self.checkpointID = checkpointID
        self.batchID = batchID
        self.batchChainHash = batchChainHash
        self.batches = batches
        self.rows = rows
        self.confidenceMethods = confidenceMethods
        self.uncertaintyMethods = uncertaintyMethods
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.checkpointHash = checkpointHash
    }

    /// The canonical JSON a checkpoint's link covers: every field but its id and its own hash.
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("batch_chain_hash", .string(batchChainHash)), ("batch_id", .integer(batchID)), ("batches", .integer(Int64(batches))),
                    ("confidence_methods", .array(confidenceMethods.map { .string($0) })), ("created_at", .string(createdAt.rfc3339)),
                    ("created_by", .string(createdBy)), ("rows", .integer(Int64(rows))),
                    ("uncertainty_methods", .array(uncertaintyMethods.map { .string($0) })),
                ])))
    }
}

/// Which part of the records chain a `verify` recomputed.
public struct VerifiedRange: Sendable, Equatable {
    /// The checkpoint the check started from; nil when it started at genesis (`verify --full`, or no checkpoint yet).
    public let fromCheckpoint: Int64?
    /// The check covered the batches after this one (0: from the first batch).
    public let afterBatch: Int64
    /// The newest batch checked (nil when there was none after `afterBatch`).
    public let throughBatch: Int64?
    /// Batches and rows whose hashes were recomputed.
    public let batchesChecked: Int
    public let rowsChecked: Int

    public init(fromCheckpoint: Int64?, afterBatch: Int64, throughBatch: Int64?, batchesChecked: Int, rowsChecked: Int) {
        self.fromCheckpoint = fromCheckpoint
        self.afterBatch = afterBatch
        self.throughBatch = throughBatch
        self.batchesChecked = batchesChecked
        self.rowsChecked = rowsChecked
    }

    /// True when the check started at genesis.
    public var isFull: Bool { fromCheckpoint == nil }

    /// "batches 1–420 (full)" or "batches 381–420, after checkpoint 3 (batches 1–380 sealed then)".
    public var description: String {
        guard let through = throughBatch else {
            return fromCheckpoint.map { "no batch after checkpoint \($0) (batches 1–\(afterBatch) sealed by it)" }
                ?? "no batch (the log is empty)"
        }
        let span = "batches \(afterBatch + 1)–\(through)"
        guard let checkpoint = fromCheckpoint else { return span + " (full, from genesis)" }
        return span + ", after checkpoint \(checkpoint) (batches 1–\(afterBatch) sealed by it)"
    }
}
