import AuditCore
import PQ

/// How a prediction record maps to the columns of `predictions`, both ways: encoding for COPY at ingest, and
/// decoding for `verify`, which rebuilds the canonical form from the stored row alone.
enum RecordColumns {
    /// The columns `decodePrediction` reads, in order.
    static let predictionSelectList = """
        prediction_id, model, model_version, site, occurred_at, case_ref, image_ref, attributes, question, options,
        option_logits, option_probs, predicted, confidence, uncertainty, msp, margin, entropy, perturbation_kind,
        perturbation_of, label, escalated, calibration_version
        """

    /// The `predictions` columns `encode` writes, in order (for `COPY predictions (…)`).
    static let predictionCopyList = """
        batch_id, ingested_at, batch_seq, prediction_id, model, model_version, site, occurred_at, case_ref, image_ref,
        attributes, question, options, option_logits, option_probs, predicted, confidence, uncertainty, msp, margin, entropy,
        perturbation_kind, perturbation_of, label, escalated, calibration_version, row_hash
        """

    /// Where `encode` puts the batch id's 8 bytes (big-endian) in a row: after the row's field count (2 bytes) and
    /// the value's length (4 bytes). Rows are encoded ahead with 0 there and the id is written in at commit.
    static let batchIDOffset = 6
    /// Where `encode` puts the batch's time of record (8 bytes, COPY's binary `timestamptz`): after the batch id and
    /// its own length. Written in at commit like the id.
    static let ingestedAtOffset = batchIDOffset + 8 + 4

    /// A `timestamptz` value's 8 bytes in COPY's binary format (microseconds since 2000-01-01, big-endian).
    static func timestamptzBytes(microsecondsSinceUnixEpoch microseconds: Int64) -> [UInt8] {
        var encoder = CopyBinaryEncoder(capacity: 12, header: false)
        encoder.timestamptz(microsecondsSinceUnixEpoch: microseconds)
        return Array(encoder.bytes.suffix(8))
    }

    /// Appends one row in COPY's binary format, in the order of `predictionCopyList`, with placeholders for the batch id
    /// and its time of record (see ``batchIDOffset`` and ``ingestedAtOffset``). The record's `jsonb` columns are copied
    /// from its canonical bytes (`canonical`, with `objects` saying where they lie), written already for its hash.
    static func encode(
        _ record: PredictionRecord, seq: Int, hash: RowDigest, canonical: UnsafeBufferPointer<UInt8>, objects: PredictionRecord.CanonicalObjects,
        into encoder: inout CopyBinaryEncoder
    ) {
        encoder.beginRow(fields: 27)
        encoder.int8(0)  // batch_id, written in at commit
        encoder.timestamptz(microsecondsSinceUnixEpoch: 0)  // ingested_at, likewise
        encoder.int4(seq)
        encoder.text(record.predictionID)
        encoder.text(record.model)
        encoder.text(record.modelVersion)
        encoder.text(record.site)
        encoder.timestamptz(microsecondsSinceUnixEpoch: record.occurredAt.microseconds)
        encoder.text(record.caseRef)
        encoder.text(record.imageRef)
        encoder.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects.attributes]))
        encoder.text(record.question)
        encoder.textArray(record.options)
        encoder.float8Array(record.optionLogits)
        encoder.float8Array(record.optionProbs)
        encoder.int4(record.predicted)
        encoder.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects.confidence]))
        encoder.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects.uncertainty]))
        encoder.float8(record.derived?.msp)
        encoder.float8(record.derived?.margin)
        encoder.float8(record.derived?.entropy)
        encoder.text(record.perturbation?.kind)
        encoder.text(record.perturbation?.of)
        encoder.int4(record.label)
        encoder.bool(record.escalated)
        encoder.int8(record.calibrationVersion)
        hash.withHex { encoder.text(utf8: $0) }
    }

    /// Appends the row of the prediction `scan` read last from `line`, byte for byte what the other `encode` appends for
    /// the record it stands for (a differential test pins this), straight from the line's bytes.
    static func encode(
        _ scan: PredictionLine, in line: UnsafeBufferPointer<UInt8>, derived: (msp: Double, margin: Double, entropy: Double)?,
        seq: Int, hash: RowDigest, canonical: UnsafeBufferPointer<UInt8>, objects: PredictionRecord.CanonicalObjects, into encoder: inout CopyBinaryEncoder
    ) {
        func text(_ span: PredictionLine.Span?) -> UnsafeBufferPointer<UInt8>? { span.map { UnsafeBufferPointer(rebasing: line[$0]) } }
        encoder.beginRow(fields: 27)
        encoder.int8(0)  // batch_id, written in at commit
        encoder.timestamptz(microsecondsSinceUnixEpoch: 0)  // ingested_at, likewise
        encoder.int4(seq)
        encoder.text(utf8: text(scan.predictionID))
        encoder.text(utf8: text(scan.model))
        encoder.text(utf8: text(scan.modelVersion))
        encoder.text(utf8: text(scan.site))
        encoder.timestamptz(microsecondsSinceUnixEpoch: scan.occurredAt.microseconds)
        encoder.text(utf8: text(scan.caseRef))
        encoder.text(utf8: text(scan.imageRef))
        encoder.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects.attributes]))
        encoder.text(utf8: text(scan.question))
        encoder.textArray(ranges: scan.options, of: line)
        encoder.float8Array(scan.logits.map { scan.numbers[$0] })
        encoder.float8Array(scan.probabilities.map { scan.numbers[$0] })
        encoder.int4(scan.predicted)
        encoder.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects.confidence]))
        encoder.jsonb(utf8: UnsafeBufferPointer(rebasing: canonical[objects.uncertainty]))
        encoder.float8(derived?.msp)
        encoder.float8(derived?.margin)
        encoder.float8(derived?.entropy)
        encoder.text(scan.perturbationOf == nil ? nil : "nota")
        encoder.text(utf8: text(scan.perturbationOf))
        encoder.int4(scan.label)
        encoder.bool(scan.escalated)
        encoder.int8(scan.calibrationVersion)
        hash.withHex { encoder.text(utf8: $0) }
    }

    /// Rebuilds a record from a row selected with `predictionSelectList` starting at column `base`.
    static func decodePrediction(_ result: PQResult, row: Int, base: Int = 0) throws -> PredictionRecord {
        func column(_ offset: Int) -> Int { base + offset }
        func doubles(_ offset: Int) -> [Double]? { result.doubles(row, column(offset))?.map { $0 ?? .nan } }
        let derived: (msp: Double, margin: Double, entropy: Double)?
        if let msp = result.double(row, column(15)), let margin = result.double(row, column(16)), let entropy = result.double(row, column(17)) {
            derived = (msp, margin, entropy)
        } else {
            derived = nil
        }
        let perturbation: Perturbation? = result.string(row, column(18)).map {
            Perturbation(kind: $0, of: result.string(row, column(19)) ?? "")
        }
        return PredictionRecord(
            predictionID: result.string(row, column(0)) ?? "",
            model: result.string(row, column(1)) ?? "",
            modelVersion: result.string(row, column(2)),
            site: result.string(row, column(3)),
            occurredAt: Timestamp(microseconds: result.epochMicroseconds(row, column(4)) ?? 0),
            caseRef: result.string(row, column(5)),
            imageRef: result.string(row, column(6)),
            attributes: try attributes(result, row, column(7)),
            question: result.string(row, column(8)),
            options: (result.strings(row, column(9)) ?? []).map { $0 ?? "" },
            optionLogits: doubles(10),
            optionProbs: doubles(11),
            predicted: result.int(row, column(12)) ?? -1,
            confidence: try scores(result, row, column(13)),
            uncertainty: try scores(result, row, column(14)),
            perturbation: perturbation,
            label: result.int(row, column(20)),
            escalated: result.bool(row, column(21)),
            calibrationVersion: result.int(row, column(22)).map(Int64.init),
            derived: derived)
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
