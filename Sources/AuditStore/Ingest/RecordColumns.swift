import AuditCore
import PQ

/// How a prediction record maps to the columns of `predictions`, both ways: encoding for COPY at ingest, and
/// decoding for `verify`, which rebuilds the canonical form from the stored row alone.
enum RecordColumns {
    /// The columns ``PredictionColumns`` reads: one per ``PredictionField``.
    static let predictionSelectList = PredictionField.columnList

    /// The `predictions` columns `encode` writes, in order (for `COPY predictions (…)`): the batch's, the fields', the hash.
    static let predictionCopyList = "batch_id, ingested_at, batch_seq, \(PredictionField.columnList), row_hash"
    /// How many columns of ``predictionCopyList`` a row has.
    private static let copyColumnCount = PredictionField.allCases.count + 4

    /// Where `encode` puts the batch id's 8 bytes (big-endian) in a row: after the row's field count (2 bytes) and
    /// the value's length (4 bytes). Rows are encoded ahead with 0 there and the id is written in at commit.
    static let batchIDOffset = 6
    /// Where `encode` puts the batch's time of record (8 bytes, COPY's binary `timestamptz`): after the batch id and
    /// its own length. Written in at commit like the id.
    static let ingestedAtOffset = batchIDOffset + 8 + 4

    /// A `timestamptz` value's 8 bytes in COPY's binary format (microseconds since 2000-01-01, big-endian).
    static func timestamptzBytes(microsecondsSinceUnixEpoch microseconds: Int64) -> [UInt8] {
        var encoder = CopyBinaryEncoder(capacity: 16, header: false)
        encoder.row(fields: 1, reserving: CopyBinaryRow.scalarBound) { $0.timestamptz(microsecondsSinceUnixEpoch: microseconds) }
        return Array(encoder.bytes.suffix(8))
    }

    /// Appends one row in COPY's binary format, in the order of `predictionCopyList`, with placeholders for the batch id
    /// and its time of record (see ``batchIDOffset`` and ``ingestedAtOffset``). The record's `jsonb` columns are copied
    /// from its canonical bytes (`canonical`, with `objects` saying where they lie), written already for its hash.
    static func encode(
        _ record: PredictionRecord, seq: Int, hash: RowDigest, canonical: UnsafeBufferPointer<UInt8>,
        objects: PredictionRecord.CanonicalObjects,
        into encoder: inout CopyBinaryEncoder
    ) {
        // Summed term by term: an array of the record's strings would be one more allocation per record.
        func bytes(_ text: String?) -> Int { text?.utf8.count ?? 0 }
        let texts =
            bytes(record.predictionID) + bytes(record.model) + bytes(record.modelVersion) + bytes(record.site)
            + bytes(record.caseRef) + bytes(record.imageRef) + bytes(record.question) + bytes(record.perturbation?.kind)
            + bytes(record.perturbation?.of) + record.options.reduce(0) { $0 + $1.utf8.count }
        let bound = rowBound(
            texts: texts, options: record.options.count,
            numbers: (record.optionLogits?.count ?? 0) + (record.optionProbs?.count ?? 0), objects: objects)
        encode(record, bound: bound, seq: seq, hash: hash, canonical: canonical, objects: objects, into: &encoder)
    }

    /// Appends the row of a prediction read straight from its line, byte for byte what the other `encode` appends for
    /// the record it stands for (a differential test pins this).
    static func encode(
        _ scanned: ScannedPrediction, seq: Int, hash: RowDigest, canonical: UnsafeBufferPointer<UInt8>,
        objects: PredictionRecord.CanonicalObjects, into encoder: inout CopyBinaryEncoder
    ) {
        // The line's strings lie apart from one another, so all of them together take at most the line's length.
        let bound = rowBound(
            texts: scanned.line.count + 4, options: scanned.scan.options.count, numbers: scanned.scan.numbers.count,
            objects: objects)
        encode(scanned, bound: bound, seq: seq, hash: hash, canonical: canonical, objects: objects, into: &encoder)
    }

    /// The row of any source: the batch's columns, then every ``PredictionField`` in column order, then the row hash.
    private static func encode(
        _ source: some PredictionFieldSource, bound: Int, seq: Int, hash: RowDigest, canonical: UnsafeBufferPointer<UInt8>,
        objects: PredictionRecord.CanonicalObjects, into encoder: inout CopyBinaryEncoder
    ) {
        encoder.row(fields: copyColumnCount, reserving: bound) { row in
            row.int8(0)  // batch_id, written in at commit
            row.timestamptz(microsecondsSinceUnixEpoch: 0)  // ingested_at, likewise
            row.int4(seq)
            var sink = CopyRowFieldSink(row: row, canonical: canonical, objects: objects)
            for field in PredictionField.allCases { source.write(field, to: &sink) }
            row = sink.row
            hash.withHex { row.text(utf8: $0) }
        }
    }

    /// The most a `predictions` row takes: every field's length and fixed-size value, `texts` bytes of text, the three
    /// `jsonb` objects, the options' and numbers' array elements, and the row hash.
    private static func rowBound(texts: Int, options: Int, numbers: Int, objects: PredictionRecord.CanonicalObjects) -> Int {
        copyColumnCount * CopyBinaryRow.scalarBound + texts + objects.attributes.count + objects.confidence.count
            + objects.uncertainty.count + 3
            + CopyBinaryRow.arrayBound(elements: options, bytes: 0) + 2 * CopyBinaryRow.arrayBound(elements: numbers, bytes: 8 * numbers)
            + RowDigest.hexCount
    }

    /// A `jsonb` attributes column (NULL reads as none); values that are not strings read as "".
    static func attributes(_ result: PQResult, _ row: Int, _ column: Int) throws -> [(key: String, value: String)] {
        try result.withBytes(row, column) { bytes throws(JSONParseError) in
            if let members = FlatJSONObject.stringMembers(bytes) { return members }
            return try jsonObject(bytes).map { ($0.key, $0.value.stringValue ?? "") }
        } ?? []
    }

    /// A `jsonb` scores column (NULL reads as none); values that are not numbers read as NaN.
    static func scores(_ result: PQResult, _ row: Int, _ column: Int) throws -> [(method: String, value: Double)] {
        try result.withBytes(row, column) { bytes throws(JSONParseError) in
            if let members = FlatJSONObject.numberMembers(bytes) { return members.map { ($0.key, $0.value) } }
            return try jsonObject(bytes).map { ($0.key, $0.value.doubleValue ?? .nan) }
        } ?? []
    }

    /// The members of a JSON object by the full parser (anything but an object reads as none).
    private static func jsonObject(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> [(key: String, value: JSONValue)] {
        guard case .object(let object) = try JSONParser.parse(Array(bytes), maximumDepth: 64) else { return [] }
        return object.members
    }
}

/// Where each ``PredictionField``'s column lies in a result, found by name once for all its rows.
struct PredictionColumns {
    private let result: PQResult
    private let indices: [Int]

    init(_ result: PQResult) throws {
        self.result = result
        indices = try PredictionField.allCases.map { try result.column($0.column) }
    }

    private func value<T: PQDecodable>(_ field: PredictionField, _ row: Int) throws -> T {
        try result.decode(row, indices[field.rawValue])
    }

    private func optional<T: PQDecodable>(_ field: PredictionField, _ row: Int) throws -> T? {
        try result.decodeIfPresent(row, indices[field.rawValue])
    }

    /// The record stored in `row`.
    ///
    /// - Throws: ``PQError`` when a column is NULL where the record requires a value, or not of its type.
    func decode(row: Int) throws -> PredictionRecord {
        let derived: (msp: Double, margin: Double, entropy: Double)?
        let msp: Double? = try optional(.derivedMSP, row)
        let margin: Double? = try optional(.derivedMargin, row)
        let entropy: Double? = try optional(.derivedEntropy, row)
        if let msp, let margin, let entropy {
            derived = (msp, margin, entropy)
        } else if msp == nil, margin == nil, entropy == nil {
            derived = nil
        } else {
            throw PQError(kind: .protocolViolation, message: "row \(row): msp, margin and entropy are neither all set nor all NULL")
        }
        let perturbationKind: String? = try optional(.perturbationKind, row)
        let perturbation = try perturbationKind.map { kind in Perturbation(kind: kind, of: try value(.perturbationOf, row)) }
        return PredictionRecord(
            predictionID: try value(.predictionID, row),
            model: try value(.model, row),
            modelVersion: try optional(.modelVersion, row),
            site: try optional(.site, row),
            occurredAt: try value(.occurredAt, row),
            caseRef: try optional(.caseRef, row),
            imageRef: try optional(.imageRef, row),
            attributes: try RecordColumns.attributes(result, row, indices[PredictionField.attributes.rawValue]),
            question: try optional(.question, row),
            options: try value(.options, row),
            optionLogits: try optional(.optionLogits, row),
            optionProbs: try optional(.optionProbs, row),
            predicted: try value(.predicted, row),
            confidence: try RecordColumns.scores(result, row, indices[PredictionField.confidence.rawValue]),
            uncertainty: try RecordColumns.scores(result, row, indices[PredictionField.uncertainty.rawValue]),
            perturbation: perturbation,
            label: try optional(.label, row),
            escalated: try optional(.escalated, row),
            calibrationVersion: try optional(.calibrationVersion, row),
            derived: derived)
    }
}

/// The `COPY` row encoding of a prediction's fields, in the binary format of each column's type. The `jsonb` columns are
/// copied from the canonical bytes already written for the hash.
private struct CopyRowFieldSink: PredictionFieldSink {
    var row: CopyBinaryRow
    let canonical: UnsafeBufferPointer<UInt8>
    let objects: PredictionRecord.CanonicalObjects

    mutating func text(_ value: String?) { row.text(value) }
    mutating func plainText(_ utf8: UnsafeBufferPointer<UInt8>?) { row.text(utf8: utf8) }
    mutating func texts(_ values: [String]) { row.textArray(values) }
    mutating func plainTexts(_ spans: [Range<Int>], in line: UnsafeBufferPointer<UInt8>) { row.textArray(ranges: spans, of: line) }
    mutating func int32(_ value: Int?) { row.int4(value) }
    mutating func int64(_ value: Int64?) { row.int8(value) }
    mutating func bool(_ value: Bool?) { row.bool(value) }
    mutating func timestamp(_ value: Timestamp) { row.timestamptz(microsecondsSinceUnixEpoch: value.microseconds) }
    mutating func double(_ value: Double?) { row.float8(value) }
    mutating func doubles(_ values: [Double]?) { row.float8Array(values) }

    mutating func doubles(_ range: Range<Int>?, of values: [Double], texts: [NumberText], in line: UnsafeBufferPointer<UInt8>) {
        row.float8Array(range.map { values[$0] })
    }

    mutating func object(_ field: PredictionObjectField, _ write: (inout CanonicalOutput) -> Void) {
        row.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects[field]]))
    }
}
