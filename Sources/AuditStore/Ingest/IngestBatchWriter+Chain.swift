import AuditCore
import PQ

/// The end of every commit: the rejects quarantined (once per record and reason), the batch linked into the chain.
extension IngestBatchWriter {
    /// Seals a batch whose `stored` records are stored: waits for the earlier batches, quarantines the rejects not
    /// quarantined before, links the batch into the chain (its rows hash over `storedRows()` and the new quarantine
    /// rows), and runs `afterLink` for rows that need the batch's row first (labels). `rowsHashIfNothingQuarantined` is
    /// the rows hash worked out in advance for the usual case, used when no reject is new; the stored rows' hashes are
    /// then never made into strings.
    func seal(
        _ ticket: Ticket, count: Int, stored: Int, storedRows: () -> [(seq: Int, tag: Character, hash: String)], duplicates: [Int],
        rejected: [(seq: Int, record: QuarantinedRecord)], rowsHashIfNothingQuarantined: String? = nil, afterLink: () throws -> Void = {}
    ) throws -> BatchOutcome {
        try waitForEarlierBatches(ticket)
        let (fresh, repeated) = try splitAlreadyQuarantined(rejected)
        let rowsHash: String
        if let precomputed = rowsHashIfNothingQuarantined, fresh.isEmpty {
            rowsHash = precomputed
        } else {
            rowsHash = ChainHash.rowsHash(storedRows() + fresh.map { (seq: $0.seq, tag: Character("Q"), hash: $0.rowHash) })
        }
        try appendBatch(
            ticket.batchID, inserted: stored, duplicates: duplicates.count, rejected: fresh.count, rowsHash: rowsHash,
            instant: ticket.instant)
        try afterLink()
        try insertQuarantine(fresh, batchID: ticket.batchID, instant: ticket.instant)
        return BatchOutcome(
            batchID: ticket.batchID, count: count, inserted: stored, duplicates: duplicates,
            rejected: rejected, fresh: fresh.map(\.record), alreadyQuarantined: repeated)
    }

    func quarantine(_ item: IngestItem, _ predictionID: String?, _ field: String?, _ reason: String) -> QuarantinedRecord {
        QuarantinedRecord(
            kind: kind, source: source, lineNumber: item.lineNumber, predictionID: predictionID, field: field, reason: reason,
            raw: item.raw)
    }

    static func rawHash(kind: RecordKind, raw: String) -> String {
        ChainHash.sha256(kind.rawValue + "\n" + raw)
    }

    /// A reject to be quarantined by this batch, with the two hashes its quarantine row stores.
    private struct FreshQuarantine {
        let seq: Int
        let record: QuarantinedRecord
        let rawHash: String
        let rowHash: String
    }

    /// Separates rejects already quarantined with the same reason (a re-sent file) from new ones.
    private func splitAlreadyQuarantined(_ rejected: [(seq: Int, record: QuarantinedRecord)]) throws -> ([FreshQuarantine], Int) {
        guard !rejected.isEmpty else { return ([], 0) }
        let hashes = rejected.map { Self.rawHash(kind: kind, raw: $0.record.raw) }
        let stored = try connection.query("SELECT raw_hash, reason FROM quarantine WHERE raw_hash = ANY($1)", [hashes])
        var seen = Set<String>()
        for row in stored.rows { seen.insert(try row.decode("raw_hash") + "\u{1}" + (try row.decode("reason") as String)) }
        var fresh: [FreshQuarantine] = []
        var repeated = 0
        for (index, entry) in rejected.enumerated() {
            let key = hashes[index] + "\u{1}" + entry.record.reason
            if seen.contains(key) {
                repeated += 1
            } else {
                seen.insert(key)
                fresh.append(
                    FreshQuarantine(
                        seq: entry.seq, record: entry.record, rawHash: hashes[index], rowHash: ChainHash.rowHash(of: entry.record)))
            }
        }
        return (fresh, repeated)
    }

    /// Inserts the batch's row, chained to the newest batch (the caller has waited for the earlier batches and holds the
    /// chain lock).
    private func appendBatch(
        _ batchID: Int64, inserted: Int, duplicates: Int, rejected: Int, rowsHash: String, instant: Timestamp
    ) throws {
        precondition(serialized, "a batch links only after the earlier batches")
        let head = try connection.query("SELECT chain_hash, batch_id FROM ingest_batches ORDER BY batch_id DESC LIMIT 1")
        let newest = head.rows.first
        if let newest, try newest.decode("batch_id", as: Int64.self) > batchID { throw ChainOrderRace() }
        let previous = try newest?.decode("chain_hash") ?? ChainHash.genesis
        var header = BatchHeader(
            batchID: batchID, kind: kind.rawValue, source: source, inserted: inserted, duplicates: duplicates,
            rejected: rejected, rowsHash: rowsHash, codeVersion: vlmAuditVersion)
        header.ingestedAt = instant.rfc3339
        try connection.query(
            """
            INSERT INTO ingest_batches (batch_id, kind, source, inserted_count, duplicate_count, rejected_count, rows_hash,
                prev_chain_hash, chain_hash, code_version, ingested_at, hash_version)
            OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, 2)
            """,
            [
                batchID, kind.rawValue, source, inserted, duplicates, rejected, header.rowsHash, previous,
                ChainHash.chainHash(previous: previous, header: header), vlmAuditVersion, instant.rfc3339,
            ])
    }

    private func insertQuarantine(_ rows: [FreshQuarantine], batchID: Int64, instant: Timestamp) throws {
        guard !rows.isEmpty else { return }
        try connection.copyIn(
            """
            COPY quarantine (batch_id, batch_seq, kind, source, line_number, prediction_id, field, reason, raw, raw_hash, row_hash,
                recorded_at)
            FROM STDIN
            """
        ) { stream in
            var encoder = CopyRowEncoder()
            for row in rows {
                let record = row.record
                encoder.field(batchID)
                encoder.field(row.seq)
                encoder.field(record.kind.rawValue)
                encoder.field(record.source)
                encoder.field(record.lineNumber)
                encoder.field(record.predictionID)
                encoder.field(record.field)
                encoder.field(record.reason)
                encoder.field(record.raw)
                encoder.field(row.rawHash)
                encoder.field(row.rowHash)
                encoder.field(instant.rfc3339)
                encoder.endRow()
            }
            try stream.send(encoder.bytes)
        }
    }
}
