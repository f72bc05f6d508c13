import AuditCore
import Foundation

/// One record of a batch as the ingest pipeline hands it over: accepted by validation or rejected.
public struct IngestItem: Sendable {
    /// What validation made of the record.
    public enum Outcome: Sendable {
        case prediction(PredictionRecord)
        case label(LabelRecord)
        case rejected(RecordRejection)
        /// A valid prediction that file ingest read straight from its line and hashed and encoded as it went
        /// (``PreparedBatch/Preparer/appendPrediction(_:line:lineNumber:derived:)``): its row is in the batch, and no
        /// record of it is kept.
        case encodedPrediction
    }

    /// The line where the record starts (1-based), when it came from a file.
    public let lineNumber: Int?
    private let source: Source
    public let outcome: Outcome
    /// The row hash of a valid label, once ``PreparedBatch`` has computed it (a prediction's stays in the batch).
    public var rowHash: String?

    /// How the record arrived; its text for the quarantine is made from this only when it is rejected.
    private enum Source: Sendable {
        case text(String)
        case line([UInt8])
        case value(JSONValue)
    }

    /// The record as received: the text of its line (invalid UTF-8 and U+0000 replaced so it can be stored), or the
    /// canonical JSON of a record that arrived parsed.
    public var raw: String {
        switch source {
        case .text(let text): text
        case .line(let bytes): String(storableUTF8: bytes)
        case .value(let value): CanonicalJSON.text(value)
        }
    }

    /// A record read as text (a file's line).
    public init(lineNumber: Int?, raw: String, outcome: Outcome) {
        self.lineNumber = lineNumber
        self.source = .text(raw)
        self.outcome = outcome
    }

    /// A record read from a file's line, kept as bytes: most records never need their text.
    public init(lineNumber: Int?, line: [UInt8], outcome: Outcome) {
        self.lineNumber = lineNumber
        self.source = .line(line)
        self.outcome = outcome
    }

    /// A record that arrived already parsed (an element of an HTTP request's body).
    public init(value: JSONValue, outcome: Outcome) {
        self.lineNumber = nil
        self.source = .value(value)
        self.outcome = outcome
    }
}

/// What one committed batch did.
public struct BatchOutcome: Sendable {
    public let batchID: Int64
    public let inserted: Int
    /// Identical records already stored: no-ops.
    public let duplicates: Int
    /// Records quarantined by this batch (validation rejects, conflicts, unknown predictions, …).
    public let quarantined: [QuarantinedRecord]
    /// Rejected records that were already in the quarantine with the same reason (re-sent): not stored twice.
    public let alreadyQuarantined: Int
    /// For each rejected input (in input order): its reason, whether newly quarantined or not.
    public let rejections: [QuarantinedRecord]
    /// What happened to each input record, in input order (worked out when asked: file ingest never asks).
    public var statuses: [ItemStatus] {
        var statuses = [ItemStatus](repeating: .inserted, count: count)
        for seq in duplicateSeqs { statuses[seq] = .duplicate }
        for (seq, record) in zip(rejectedSeqs, rejections) { statuses[seq] = .rejected(record) }
        return statuses
    }
    private let count: Int
    private let duplicateSeqs: [Int]
    private let rejectedSeqs: [Int]
    /// Seconds spent per phase: `copy` (new rows into their table), `merge` (look-up, classification, quarantine, chain).
    public var timings: [String: Double] = [:]

    /// What happened to one input record.
    public enum ItemStatus: Sendable {
        case inserted
        /// An identical record was already stored (or came earlier in the same input): nothing changed.
        case duplicate
        /// Quarantined, or already in the quarantine with the same reason.
        case rejected(QuarantinedRecord)
    }

    init(
        batchID: Int64, count: Int, inserted: Int, duplicates: [Int], rejected: [(seq: Int, record: QuarantinedRecord)],
        fresh: [QuarantinedRecord], alreadyQuarantined: Int
    ) {
        self.batchID = batchID
        self.inserted = inserted
        self.duplicates = duplicates.count
        self.quarantined = fresh
        self.alreadyQuarantined = alreadyQuarantined
        let ordered = rejected.sorted { $0.seq < $1.seq }
        rejections = ordered.map(\.record)
        rejectedSeqs = ordered.map(\.seq)
        duplicateSeqs = duplicates
        self.count = count
    }
}
