/// The canonical text of each record kind: what the tamper-evident chain hashes (docs/hash-chain.md).
///
/// A canonical JSON object (see ``CanonicalJSON``) holding every stored field of the record, `null` when absent,
/// so that `verify` can rebuild it from the stored row alone and compare.
extension PredictionRecord {
    /// The canonical JSON text of this record.
    public var canonicalText: String { String(decoding: canonicalBytes, as: UTF8.self) }

    /// The canonical JSON of this record as UTF-8 bytes, written directly (keys in sorted order).
    public var canonicalBytes: [UInt8] {
        var writer = CanonicalWriter(capacity: 768)
        writeCanonical(into: &writer)
        return writer.bytes
    }

    /// Writes the canonical JSON of this record into the emptied `writer` and says where its objects lie.
    @discardableResult
    public func writeCanonical(into writer: inout CanonicalWriter) -> CanonicalObjects {
        writer.reset()
        return writer.write(reserving: canonicalBound) { writeCanonicalFields(into: &$0) }
    }

    /// The most the canonical JSON of this record can take: its strings escaped at worst, every number at its longest.
    private var canonicalBound: Int {
        typealias Output = CanonicalOutput
        var bound = 1024  // fixed keys, brackets, literals and the time of occurrence
        bound += Output.bound(caseRef) + Output.bound(imageRef) + Output.bound(model) + Output.bound(modelVersion)
        bound += Output.bound(perturbation?.kind) + Output.bound(perturbation?.of) + Output.bound(predictionID)
        bound += Output.bound(question) + Output.bound(site)
        for attribute in attributes { bound += Output.bound(attribute.key) + 1 + Output.bound(attribute.value) }
        for option in options { bound += Output.bound(option) }
        for score in confidence { bound += Output.bound(score.method) + 1 }
        for score in uncertainty { bound += Output.bound(score.method) + 1 }
        let numbers = (optionLogits?.count ?? 0) + (optionProbs?.count ?? 0) + confidence.count + uncertainty.count + 6
        return bound + Output.numberBound * numbers
    }

    /// The canonical JSON value of this record, built as a tree: the reference the direct writer is tested against.
    public var canonicalValue: JSONValue {
        .object(
            JSONObject([
                ("attributes", .object(JSONObject(attributes.map { ($0.key, JSONValue.string($0.value)) }))),
                ("calibration_version", calibrationVersion.map { .integer($0) } ?? .null),
                ("case_ref", optionalString(caseRef)),
                ("confidence", scoreObject(confidence)),
                ("derived_entropy", derived.map { .number($0.entropy) } ?? .null),
                ("derived_margin", derived.map { .number($0.margin) } ?? .null),
                ("derived_msp", derived.map { .number($0.msp) } ?? .null),
                ("escalated", escalated.map { .bool($0) } ?? .null),
                ("image_ref", optionalString(imageRef)),
                ("label", label.map { .integer(Int64($0)) } ?? .null),
                ("model", .string(model)),
                ("model_version", optionalString(modelVersion)),
                ("occurred_at", .string(occurredAt.rfc3339)),
                ("option_logits", optionLogits.map { .array($0.map { .number($0) }) } ?? .null),
                ("option_probs", optionProbs.map { .array($0.map { .number($0) }) } ?? .null),
                ("options", .array(options.map { .string($0) })),
                ("perturbation_kind", optionalString(perturbation?.kind)),
                ("perturbation_of", optionalString(perturbation?.of)),
                ("predicted", .integer(Int64(predicted))),
                ("prediction_id", .string(predictionID)),
                ("question", optionalString(question)),
                ("site", optionalString(site)),
                ("uncertainty", scoreObject(uncertainty)),
            ]))
    }

    private static func write(_ attributes: [(key: String, value: String)], to writer: inout CanonicalOutput) {
        writer.beginObject()
        for attribute in attributes {
            writer.key(attribute.key)
            writer.string(attribute.value)
        }
        writer.endObject()
    }

    private static func write(_ scores: [(method: String, value: Double)], to writer: inout CanonicalOutput) {
        writer.beginObject()
        for score in scores {
            writer.key(score.method)
            writer.number(score.value)
        }
        writer.endObject()
    }
}

extension PredictionRecord: PredictionFieldSource {
    public func write<Sink: PredictionFieldSink>(_ field: PredictionField, to sink: inout Sink) {
        switch field {
        case .predictionID: sink.text(predictionID)
        case .model: sink.text(model)
        case .modelVersion: sink.text(modelVersion)
        case .site: sink.text(site)
        case .occurredAt: sink.timestamp(occurredAt)
        case .caseRef: sink.text(caseRef)
        case .imageRef: sink.text(imageRef)
        case .attributes: sink.object(.attributes) { Self.write(attributes, to: &$0) }
        case .question: sink.text(question)
        case .options: sink.texts(options)
        case .optionLogits: sink.doubles(optionLogits)
        case .optionProbs: sink.doubles(optionProbs)
        case .predicted: sink.int32(predicted)
        case .confidence: sink.object(.confidence) { Self.write(confidence, to: &$0) }
        case .uncertainty: sink.object(.uncertainty) { Self.write(uncertainty, to: &$0) }
        case .derivedMSP: sink.double(derived?.msp)
        case .derivedMargin: sink.double(derived?.margin)
        case .derivedEntropy: sink.double(derived?.entropy)
        case .perturbationKind: sink.text(perturbation?.kind)
        case .perturbationOf: sink.text(perturbation?.of)
        case .label: sink.int32(label)
        case .escalated: sink.bool(escalated)
        case .calibrationVersion: sink.int64(calibrationVersion)
        }
    }
}

/// A prediction as ``PredictionLine`` read it from `line`, with the scores derived from it: encoded straight from the
/// line's bytes, byte for byte as the ``PredictionRecord`` it stands for (``PredictionLine/record(in:)`` with `derived`
/// filled in; a differential test pins this). The line's strings need no escapes, so their bytes are copied as they are.
public struct ScannedPrediction: PredictionFieldSource {
    public let scan: PredictionLine
    public let line: UnsafeBufferPointer<UInt8>
    public let derived: (msp: Double, margin: Double, entropy: Double)?

    public init(scan: PredictionLine, line: UnsafeBufferPointer<UInt8>, derived: (msp: Double, margin: Double, entropy: Double)?) {
        self.scan = scan
        self.line = line
        self.derived = derived
    }

    /// Writes the canonical JSON of the prediction into the emptied `writer` and says where its objects lie.
    @discardableResult
    public func writeCanonical(into writer: inout CanonicalWriter) -> PredictionRecord.CanonicalObjects {
        // Every string is a span of the line, copied with its quotes and at most a comma and a colon.
        let numbers = scan.numbers.count + scan.confidence.count + scan.uncertainty.count + 6
        writer.reset()
        return writer.write(reserving: 1024 + 2 * line.count + CanonicalOutput.numberBound * numbers) { writeCanonicalFields(into: &$0) }
    }

    private func text(_ span: PredictionLine.Span?) -> UnsafeBufferPointer<UInt8>? {
        span.map { UnsafeBufferPointer(rebasing: line[$0]) }
    }

    private func write(_ scores: [PredictionLine.Score], to writer: inout CanonicalOutput) {
        writer.beginObject()
        for score in scores {
            writer.plainKey(text(score.method)!)
            writer.number(score.value, text: score.text, in: line)
        }
        writer.endObject()
    }

    public func write<Sink: PredictionFieldSink>(_ field: PredictionField, to sink: inout Sink) {
        switch field {
        case .predictionID: sink.plainText(text(scan.predictionID))
        case .model: sink.plainText(text(scan.model))
        case .modelVersion: sink.plainText(text(scan.modelVersion))
        case .site: sink.plainText(text(scan.site))
        case .occurredAt: sink.timestamp(scan.occurredAt)
        case .caseRef: sink.plainText(text(scan.caseRef))
        case .imageRef: sink.plainText(text(scan.imageRef))
        case .attributes:
            sink.object(.attributes) { writer in
                writer.beginObject()
                for attribute in scan.attributes {
                    writer.plainKey(text(attribute.key)!)
                    writer.plainString(text(attribute.value))
                }
                writer.endObject()
            }
        case .question: sink.plainText(text(scan.question))
        case .options: sink.plainTexts(scan.options, in: line)
        case .optionLogits: sink.doubles(scan.logits, of: scan.numbers, texts: scan.numberTexts, in: line)
        case .optionProbs: sink.doubles(scan.probabilities, of: scan.numbers, texts: scan.numberTexts, in: line)
        case .predicted: sink.int32(scan.predicted)
        case .confidence: sink.object(.confidence) { write(scan.confidence, to: &$0) }
        case .uncertainty: sink.object(.uncertainty) { write(scan.uncertainty, to: &$0) }
        case .derivedMSP: sink.double(derived?.msp)
        case .derivedMargin: sink.double(derived?.margin)
        case .derivedEntropy: sink.double(derived?.entropy)
        case .perturbationKind: sink.text(scan.perturbationOf == nil ? nil : Perturbation.notaKind)
        case .perturbationOf: sink.plainText(text(scan.perturbationOf))
        case .label: sink.int32(scan.label)
        case .escalated: sink.bool(scan.escalated)
        case .calibrationVersion: sink.int64(scan.calibrationVersion)
        }
    }
}

extension LabelRecord {
    /// The canonical JSON text of this record, written directly (keys in sorted order).
    public var canonicalText: String {
        var writer = CanonicalWriter(capacity: 160)
        writer.beginObject()
        writer.plainKey("label"); writer.integer(Int64(label))
        writer.plainKey("note"); writer.string(note)
        writer.plainKey("prediction_id"); writer.string(predictionID)
        writer.plainKey("reviewed_at"); writer.string(reviewedAt.rfc3339)
        writer.plainKey("reviewer"); writer.string(reviewer)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The canonical JSON value of this record as a tree: the reference the direct writer is tested against.
    public var canonicalValue: JSONValue {
        .object(
            JSONObject([
                ("label", .integer(Int64(label))),
                ("note", optionalString(note)),
                ("prediction_id", .string(predictionID)),
                ("reviewed_at", .string(reviewedAt.rfc3339)),
                ("reviewer", .string(reviewer)),
            ]))
    }
}

/// A rejected record as the quarantine keeps it.
public struct QuarantinedRecord: Sendable, Equatable {
    public let kind: RecordKind
    public let source: String
    public let lineNumber: Int?
    public let predictionID: String?
    public let field: String?
    public let reason: String
    /// The record exactly as received (invalid UTF-8 replaced, as text columns require).
    public let raw: String

    public init(kind: RecordKind, source: String, lineNumber: Int?, predictionID: String?, field: String?, reason: String, raw: String) {
        self.kind = kind
        self.source = source
        self.lineNumber = lineNumber
        self.predictionID = predictionID
        self.field = field
        self.reason = reason
        self.raw = raw
    }

    /// The canonical JSON text of this quarantine entry, written directly (keys in sorted order).
    public var canonicalText: String {
        var writer = CanonicalWriter(capacity: raw.utf8.count + 256)
        writer.beginObject()
        writer.plainKey("field"); writer.string(field)
        writer.plainKey("kind"); writer.string(kind.rawValue)
        writer.plainKey("line_number"); writer.integer(lineNumber.map(Int64.init))
        writer.plainKey("prediction_id"); writer.string(predictionID)
        writer.plainKey("raw"); writer.string(raw)
        writer.plainKey("reason"); writer.string(reason)
        writer.plainKey("source"); writer.string(source)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The canonical JSON value of this entry as a tree: the reference the direct writer is tested against.
    public var canonicalValue: JSONValue {
        .object(
            JSONObject([
                ("field", optionalString(field)),
                ("kind", .string(kind.rawValue)),
                ("line_number", lineNumber.map { .integer(Int64($0)) } ?? .null),
                ("prediction_id", optionalString(predictionID)),
                ("raw", .string(raw)),
                ("reason", .string(reason)),
                ("source", .string(source)),
            ]))
    }
}

/// The two kinds of record the audit log takes.
public enum RecordKind: String, Sendable, Codable {
    case predictions, labels
}

private func optionalString(_ value: String?) -> JSONValue {
    value.map { .string($0) } ?? .null
}

private func scoreObject(_ scores: [(method: String, value: Double)]) -> JSONValue {
    .object(JSONObject(scores.map { ($0.method, JSONValue.number($0.value)) }))
}
