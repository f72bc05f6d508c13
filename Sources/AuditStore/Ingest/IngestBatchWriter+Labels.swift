import AuditCore
import PQ

/// Committing a batch of labels: staged in a temporary table, classified in one query, then stored.
extension IngestBatchWriter {
    func prepareStaging() throws {
        guard !stagingReady else { return }
        // The staging tables live as long as the session; a second writer on the same connection reuses them.
        if try connection.query("SELECT to_regclass('pg_temp.label_staging') IS NOT NULL").bool(0, 0) == true {
            stagingReady = true
            return
        }
        try connection.execute(
            """
            CREATE TEMP TABLE label_staging (
                seq integer, prediction_id text, label integer, reviewer text, reviewed_at timestamptz, note text,
                row_hash text
            ) ON COMMIT DELETE ROWS;
            """)
        stagingReady = true
    }

    /// Commits a batch of labels in four steps: sorted out within the input, staged, classified against what is stored,
    /// and sealed with the new labels stored after the batch's link.
    func commitLabels(_ items: [IngestItem], ticket: Ticket) throws -> BatchOutcome {
        var (accepted, duplicates, rejected) = sortOutInput(items)
        try stage(accepted)
        // Labels are classified against the predictions and labels of every earlier batch, so they wait for them first.
        try waitForEarlierBatches(ticket)
        let classified = try classifyStaged(accepted)
        duplicates += classified.duplicates
        rejected += classified.rejected
        let stored = classified.new.map { (seq: $0.seq, tag: Character("L"), hash: $0.hash) }
        return try seal(
            ticket, count: items.count, stored: stored.count, storedRows: { stored }, duplicates: duplicates,
            rejected: rejected
        ) {
            try connection.query(
                """
                INSERT INTO ground_truth (prediction_id, label, reviewer, reviewed_at, note, batch_id, batch_seq, row_hash, recorded_at)
                SELECT prediction_id, label, reviewer, reviewed_at, note, $1, seq, row_hash, $2::timestamptz FROM label_staging ORDER BY seq
                """, [ticket.batchID, ticket.instant.rfc3339])
        }
    }

    /// A valid label of the batch, with its row hash and the item it came from.
    typealias AcceptedLabel = (seq: Int, record: LabelRecord, hash: String, item: IngestItem)

    /// The batch's labels sorted out within the input: the first label per (prediction, reviewer, reviewed_at) is
    /// accepted, a later identical one is a repeat, a later different one a conflict; rejects of validation join them.
    private func sortOutInput(
        _ items: [IngestItem]
    )
        -> (accepted: [AcceptedLabel], duplicates: [Int], rejected: [(seq: Int, record: QuarantinedRecord)])
    {
        var rejected: [(seq: Int, record: QuarantinedRecord)] = []
        var accepted: [AcceptedLabel] = []
        var firstByKey: [String: Int] = [:]
        var duplicates: [Int] = []
        for (seq, item) in items.enumerated() {
            switch item.outcome {
            case .label(let record):
                guard let hash = item.rowHash else { preconditionFailure("PreparedBatch hashes every valid record") }
                let key = "\(record.predictionID)\u{1}\(record.reviewer)\u{1}\(record.reviewedAt.microseconds)"
                if let earlier = firstByKey[key] {
                    if accepted[earlier].hash == hash {
                        duplicates.append(seq)
                    } else {
                        rejected.append(
                            (
                                seq,
                                quarantine(
                                    item, record.predictionID, "label",
                                    "a different label by the same reviewer at the same reviewed_at appears earlier in the same input")
                            ))
                    }
                    continue
                }
                firstByKey[key] = accepted.count
                accepted.append((seq, record, hash, item))
            case .rejected(let rejection):
                rejected.append((seq, quarantine(item, rejection.predictionID, rejection.field, rejection.reason)))
            case .prediction, .encodedPrediction:
                preconditionFailure("a prediction in a labels batch")
            }
        }
        return (accepted, duplicates, rejected)
    }

    /// Copies the accepted labels into the session's staging table.
    private func stage(_ accepted: [AcceptedLabel]) throws {
        guard !accepted.isEmpty else { return }
        try connection.copyIn("COPY label_staging (seq, prediction_id, label, reviewer, reviewed_at, note, row_hash) FROM STDIN") {
            stream in
            var encoder = CopyRowEncoder()
            for row in accepted {
                encoder.field(row.seq)
                encoder.field(row.record.predictionID)
                encoder.field(row.record.label)
                encoder.field(row.record.reviewer)
                encoder.field(row.record.reviewedAt.rfc3339)
                encoder.field(row.record.note)
                encoder.field(row.hash)
                encoder.endRow()
            }
            try stream.send(encoder.bytes)
        }
    }

    /// Classifies the staged labels against the stored predictions and labels (the caller has waited for the earlier
    /// batches): new ones stay staged; repeats, labels of unknown predictions, labels out of the option range and
    /// conflicting revisions are removed from the staging table and reported.
    private func classifyStaged(
        _ accepted: [AcceptedLabel]
    ) throws
        -> (new: [(seq: Int, hash: String)], duplicates: [Int], rejected: [(seq: Int, record: QuarantinedRecord)])
    {
        var duplicates: [Int] = []
        var rejected: [(seq: Int, record: QuarantinedRecord)] = []
        // Index probes per staged label (LIMIT 1 keeps each subquery from being flattened into a join): plain joins
        // were planned as scans of all of `predictions` and `ground_truth`, whose cost grows with every batch stored.
        let status = try connection.query(
            """
            SELECT s.seq,
                   CASE WHEN p.options IS NULL THEN 'unknown'
                        WHEN s.label >= p.options THEN 'range'
                        WHEN g.label_id IS NOT NULL AND g.row_hash = s.row_hash THEN 'duplicate'
                        WHEN g.label_id IS NOT NULL THEN 'conflict'
                        ELSE 'new' END AS status,
                   p.options
            FROM label_staging s
            LEFT JOIN LATERAL (
                SELECT cardinality(options) AS options FROM predictions WHERE prediction_id = s.prediction_id LIMIT 1
            ) p ON true
            LEFT JOIN LATERAL (
                SELECT label_id, row_hash FROM ground_truth
                WHERE prediction_id = s.prediction_id AND reviewer = s.reviewer AND reviewed_at = s.reviewed_at LIMIT 1
            ) g ON true
            """)
        let positions = Dictionary(uniqueKeysWithValues: accepted.enumerated().map { ($0.element.seq, $0.offset) })
        var dropped: [Int] = []
        var inserted: [(seq: Int, hash: String)] = []
        for row in status.rows {
            let seq: Int = try row.decode("seq")
            guard let position = positions[seq] else {
                throw PQError(
                    kind: .protocolViolation, message: "the label classification returned seq \(seq), which the batch does not hold")
            }
            let entry = accepted[position]
            let id = entry.record.predictionID
            switch try row.decode("status", as: String.self) {
            case "new":
                inserted.append((seq, entry.hash))
                continue
            case "duplicate":
                duplicates.append(seq)
            case "unknown":
                rejected.append(
                    (
                        seq,
                        quarantine(
                            entry.item, id, "prediction_id",
                            "label for unknown prediction \(id) (re-submit it once the prediction has arrived)")
                    ))
            case "range":
                rejected.append(
                    (
                        seq,
                        quarantine(
                            entry.item, id, "label",
                            "label=\(entry.record.label) but prediction \(id) has only \(try row.decode("options", as: Int.self)) options")
                    ))
            default:
                rejected.append(
                    (
                        seq,
                        quarantine(
                            entry.item, id, "label",
                            "a different label by \(entry.record.reviewer) at the same reviewed_at is already stored; revisions need a new reviewed_at"
                        )
                    ))
            }
            dropped.append(seq)
        }
        if !dropped.isEmpty {
            try connection.query("DELETE FROM label_staging WHERE seq = ANY($1::int[])", [dropped])
        }
        return (inserted, duplicates, rejected)
    }
}
