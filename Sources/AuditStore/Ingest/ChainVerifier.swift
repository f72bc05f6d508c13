import AuditCore
import Dispatch
import Foundation
import PQ

/// Recomputes every row hash, every batch's rows hash and every chain link, and checks the UE method registry against
/// the methods the rows carry (docs/hash-chain.md).
///
/// Detects rows edited, deleted, inserted or reordered (batch_seq changed, or moved between batches), also when
/// a superuser disabled the append-only triggers, unless the attacker also rewrote every later chain hash, which
/// the chain head quoted in printed monthly reports exposes.
public enum ChainVerifier {
    /// True when some batch of the log has `hash` as its chain hash (an anchor taken earlier is still there).
    public static func contains(_ connection: PQConnection, chainHash hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM ingest_batches WHERE chain_hash = $1)", [hash]).bool(0, 0) == true
    }

    /// Verifies the log from `checkpoint` on (the batches after the one it seals, linked from its chain hash), or from
    /// genesis when it is nil; reads one batch at a time so memory stays flat. The checkpoint itself, and that the
    /// records chain still holds the head it sealed, are checked by ``CheckpointStore/verify(_:)``.
    public static func verify(_ connection: PQConnection, from checkpoint: ChainCheckpoint? = nil) throws -> ChainReport {
        var problems: [ChainReport.Problem] = []
        var previous = checkpoint?.batchChainHash ?? ChainHash.genesis
        let afterBatch = checkpoint?.batchID ?? 0
        var head: (String, Int64, String)? = try checkpoint.map { try sealedHead($0, connection) } ?? nil
        var batches = 0
        var rows = 0
        let headers = try connection.query(
            """
            SELECT batch_id, kind, source, inserted_count, duplicate_count, rejected_count, rows_hash, prev_chain_hash,
                   chain_hash, code_version, to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ingested_text,
                   hash_version, ingested_at
            FROM ingest_batches WHERE batch_id > $1 ORDER BY batch_id
            """, [afterBatch])
        var knownBatches = Set<Int64>()
        var carried = MethodSides(
            confidence: Set(checkpoint?.confidenceMethods ?? []), uncertainty: Set(checkpoint?.uncertaintyMethods ?? []))
        // The rows of batch k + 1 are read on a helper thread while the rows of batch k are hashed on both cores.
        let headerRows = headers.rows
        let batchKinds = try headerRows.map { (try $0.decode("batch_id", as: Int64.self), try $0.decode("kind", as: String.self)) }
        let readBatch = { @Sendable (connection: PQConnection, index: Int) in
            try fetchRows(connection, batchID: batchKinds[index].0, kind: batchKinds[index].1)
        }
        try Prefetch.forEach(Array(batchKinds.indices), on: connection, read: readBatch) { index, stored in
            batches += 1
            let (batchID, kind) = batchKinds[index]
            knownBatches.insert(batchID)
            let batch = headerRows[index]
            let storedRowsHash: String = try batch.decode("rows_hash")
            let storedPrevious: String = try batch.decode("prev_chain_hash")
            let storedChain: String = try batch.decode("chain_hash")
            let committedRecords: Int = try batch.decode("inserted_count")
            let committedRejections: Int = try batch.decode("rejected_count")
            if storedPrevious != previous {
                problems.append(
                    .init(
                        batchID: batchID, row: nil,
                        message: "prev_chain_hash does not match the previous batch's chain hash (a batch was removed, inserted or edited)")
                )
            }
            let (hashes, rowProblems, sides) = try recomputeRows(stored, batchID: batchID)
            carried.merge(sides)
            let recordCount = stored.records.rowCount
            let quarantineCount = stored.quarantined.rowCount
            rows += hashes.count
            problems += rowProblems
            if recordCount != committedRecords || quarantineCount != committedRejections {
                problems.append(
                    .init(
                        batchID: batchID, row: nil,
                        message: "holds \(recordCount) records and \(quarantineCount) "
                            + "quarantined rows, but was committed with \(committedRecords) and \(committedRejections) "
                            + "(rows were deleted or inserted)"))
            }
            let rowsHash = ChainHash.rowsHash(hashes)
            if rowsHash != storedRowsHash {
                problems.append(
                    .init(
                        batchID: batchID, row: nil,
                        message: "rows hash does not match its rows (rows edited, deleted, inserted or reordered)"))
            }
            var header = BatchHeader(
                batchID: batchID, kind: kind, source: try batch.decode("source"), inserted: committedRecords,
                duplicates: try batch.decode("duplicate_count"), rejected: committedRejections, rowsHash: storedRowsHash,
                codeVersion: try batch.decode("code_version"))
            // From hash version 2 the header covers the batch's time of record, and every row carries that instant.
            if try batch.decode("hash_version", as: Int.self) != 1 {
                let instant: Int64 = try batch.decode("ingested_at", as: Timestamp.self).microseconds
                header.ingestedAt = Timestamp(microseconds: instant).rfc3339  // the writer hashes the same formatting
                problems += timeProblems(stored, batchID: batchID, instant: instant)
            }
            let chain = ChainHash.chainHash(previous: storedPrevious, header: header)
            if chain != storedChain {
                problems.append(
                    .init(batchID: batchID, row: nil, message: "chain hash does not match the batch header (the header was edited)"))
            }
            previous = storedChain
            head = (storedChain, batchID, try batch.decode("ingested_text"))
        }
        let orphans = try connection.query(
            """
            SELECT 'prediction ' || prediction_id AS row_name, batch_id FROM predictions
            WHERE batch_id > $2 AND batch_id <> ALL($1::bigint[])
            UNION ALL SELECT 'label ' || label_id, batch_id FROM ground_truth WHERE batch_id > $2 AND batch_id <> ALL($1::bigint[])
            UNION ALL SELECT 'quarantine ' || quarantine_id, batch_id FROM quarantine
            WHERE batch_id > $2 AND batch_id <> ALL($1::bigint[])
            LIMIT 20
            """, [Array(knownBatches), afterBatch])
        for orphan in orphans.rows {
            problems.append(
                .init(
                    batchID: try orphan.decode("batch_id"), row: try orphan.decode("row_name"),
                    message: "row belongs to a batch that is not in the chain (inserted outside ingest)"))
        }
        problems += try MethodRegistryCheck.problems(connection, carried: carried).map { .init(batchID: nil, row: nil, message: $0) }
        var report = ChainReport(
            batches: (checkpoint?.batches ?? 0) + batches, rows: (checkpoint?.rows ?? 0) + rows,
            head: head.map { (hash: $0.0, batchID: $0.1, ingestedAt: $0.2) }, problems: problems)
        report.range = VerifiedRange(
            fromCheckpoint: checkpoint?.checkpointID, afterBatch: afterBatch, throughBatch: batches > 0 ? head?.1 : nil,
            batchesChecked: batches, rowsChecked: rows)
        report.methodsCarried = (carried.confidence.sorted(), carried.uncertainty.sorted())
        return report
    }

    /// The head a checkpoint sealed, with its batch's time of record (nil when that batch is gone: the checkpoint
    /// chain's check names it).
    private static func sealedHead(_ checkpoint: ChainCheckpoint, _ connection: PQConnection) throws -> (String, Int64, String)? {
        let result = try connection.query(
            """
            SELECT to_char(ingested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ingested_text
            FROM ingest_batches WHERE batch_id = $1
            """, [checkpoint.batchID])
        return try result.rows.first.map { (checkpoint.batchChainHash, checkpoint.batchID, try $0.decode("ingested_text")) }
    }

    /// The rows of a version-2 batch whose time of record (the last column read) is not the batch's instant; at most
    /// five named.
    private static func timeProblems(_ stored: BatchRows, batchID: Int64, instant: Int64) -> [ChainReport.Problem] {
        var names: [String] = []
        var count = 0
        let recordTag: Character = stored.kind == RecordKind.predictions.rawValue ? "P" : "L"
        for (result, tag) in [(stored.records, recordTag), (stored.quarantined, Character("Q"))] {
            let column = result.columnCount - 1
            for row in 0..<result.rowCount where result.epochMicroseconds(row, column) != instant {
                count += 1
                if names.count < 5 { names.append(name(tag: tag, row: row, in: stored)) }
            }
        }
        guard count > 0 else { return [] }
        return names.map { ChainReport.Problem(batchID: batchID, row: $0, message: "time of record is not its batch's (edited)") }
            + (count > names.count
                ? [
                    ChainReport.Problem(
                        batchID: batchID, row: nil,
                        message: "\(count - names.count) more rows with a time of record that is not their batch's")
                ] : [])
    }

    /// The stored rows of one batch: its records and its quarantined rows, each in batch_seq order.
    struct BatchRows: Sendable {
        let kind: String
        let records: PQResult
        let quarantined: PQResult
    }

    private static func fetchRows(_ connection: PQConnection, batchID: Int64, kind: String) throws -> BatchRows {
        let records =
            kind == RecordKind.predictions.rawValue
            ? try connection.query(
                """
                SELECT batch_seq, row_hash, \(RecordColumns.predictionSelectList), ingested_at
                FROM predictions WHERE batch_id = $1 ORDER BY batch_seq
                """, [batchID])
            : try connection.query(
                """
                SELECT batch_seq, row_hash, prediction_id, label, reviewer, reviewed_at, note, label_id, recorded_at
                FROM ground_truth WHERE batch_id = $1 ORDER BY batch_seq
                """, [batchID])
        let quarantined = try connection.query(
            """
            SELECT batch_seq, row_hash, kind, source, line_number, prediction_id, field, reason, raw, quarantine_id, recorded_at
            FROM quarantine WHERE batch_id = $1 ORDER BY batch_seq
            """, [batchID])
        return BatchRows(kind: kind, records: records, quarantined: quarantined)
    }

    /// One recomputed row: its place, tag and hash, where it was read, and whether the stored hash differs.
    private struct RowCheck {
        let seq: Int
        let tag: Character
        let hash: String
        let row: Int
        let edited: Bool
    }

    /// How a problem names a row (built only when there is a problem): the row at `row` of the batch's records (tag `P`
    /// or `L`) or of its quarantined rows (`Q`).
    private static func name(tag: Character, row: Int, in stored: BatchRows) -> String {
        switch tag {
        case "P": "prediction \(stored.records.string(row, 2) ?? "")"
        case "L": "label \(stored.records.int(row, 7) ?? 0) of \(stored.records.string(row, 2) ?? "")"
        default: "quarantine \(stored.quarantined.int(row, 9) ?? 0)"
        }
    }

    /// Recomputes every row hash of a batch, the records in two halves on both cores, and gathers the UE methods its
    /// predictions carry.
    private static func recomputeRows(
        _ stored: BatchRows, batchID: Int64
    ) throws
        -> ([(seq: Int, tag: Character, hash: String)], [ChainReport.Problem], MethodSides)
    {
        let records = stored.records
        let isPredictions = stored.kind == RecordKind.predictions.rawValue
        let count = records.rowCount
        let half = (count + 1) / 2
        let parts = ParallelResults<Result<([RowCheck], MethodSides), Error>>(count: 2)
        let predictionColumns = isPredictions ? try PredictionColumns(records) : nil
        DispatchQueue.concurrentPerform(iterations: count >= 2_000 ? 2 : 1) { part in
            let range = count >= 2_000 ? (part == 0 ? 0..<half : half..<count) : 0..<count
            parts.set(
                part,
                Result {
                    var sides = MethodSides()
                    let checks = try range.map { row in
                        guard let predictionColumns else { return try labelCheck(records, row: row) }
                        let (check, record) = try predictionCheck(records, columns: predictionColumns, row: row)
                        if let record { sides.note(record) }
                        return check
                    }
                    return (checks, sides)
                })
        }
        let done = try parts.values.compactMap { try $0?.get() }
        var checks = done.flatMap(\.0)
        var sides = MethodSides()
        for part in done { sides.merge(part.1) }
        let quarantined = stored.quarantined
        for row in quarantined.rows {
            let record = QuarantinedRecord(
                kind: RecordKind(rawValue: try row.decode("kind")) ?? .predictions, source: try row.decode("source"),
                lineNumber: try row.decodeIfPresent("line_number"), predictionID: try row.decodeIfPresent("prediction_id"),
                field: try row.decodeIfPresent("field"), reason: try row.decode("reason"), raw: try row.decode("raw"))
            let hash = ChainHash.rowHash(of: record)
            checks.append(
                RowCheck(
                    seq: try row.decode("batch_seq"), tag: "Q", hash: hash, row: row.index,
                    edited: hash != (try row.decode("row_hash") as String)))
        }
        var problems: [ChainReport.Problem] = []
        var seenSeq = Set<Int>(minimumCapacity: checks.count)
        for check in checks {
            if !seenSeq.insert(check.seq).inserted {
                problems.append(
                    .init(
                        batchID: batchID, row: name(tag: check.tag, row: check.row, in: stored),
                        message: "batch_seq \(check.seq) is used twice (rows reordered or inserted)"))
            }
            if check.edited {
                problems.append(
                    .init(
                        batchID: batchID, row: name(tag: check.tag, row: check.row, in: stored),
                        message: "row content does not match its row hash (edited)"))
            }
        }
        return (checks.map { ($0.seq, $0.tag, $0.hash) }, problems, sides)
    }

    /// A prediction's row rehashed; a row that cannot be read as a record (a value of the wrong shape) counts as edited.
    private static func predictionCheck(_ result: PQResult, columns: PredictionColumns, row: Int) throws -> (RowCheck, PredictionRecord?) {
        let seq: Int = try result.decode(row, 0)
        guard let record = try? columns.decode(row: row) else {
            return (RowCheck(seq: seq, tag: "P", hash: "", row: row, edited: true), nil)
        }
        let hash = ChainHash.rowHash(of: record)
        return (RowCheck(seq: seq, tag: "P", hash: hash, row: row, edited: hash != (try result.decode(row, 1) as String)), record)
    }

    private static func labelCheck(_ result: PQResult, row: Int) throws -> RowCheck {
        let record = LabelRecord(
            predictionID: try result.decode(row, 2), label: try result.decode(row, 3), reviewer: try result.decode(row, 4),
            reviewedAt: try result.decode(row, 5), note: try result.decodeIfPresent(row, 6))
        let hash = ChainHash.rowHash(of: record)
        return RowCheck(
            seq: try result.decode(row, 0), tag: "L", hash: hash, row: row, edited: hash != (try result.decode(row, 1) as String))
    }
}

/// Slots that parallel chunks fill, one slot per chunk.
private final class ParallelResults<Value>: @unchecked Sendable {
    // @unchecked Sendable: every access holds the lock.
    private let lock = NSLock()
    private var slots: [Value?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.withLock { slots[index] = value }
    }

    /// The slots in order (nil where no chunk wrote).
    var values: [Value?] { lock.withLock { slots } }
}
