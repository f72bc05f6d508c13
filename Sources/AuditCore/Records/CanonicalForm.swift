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

    /// Where the JSON objects of a record's three `jsonb` columns lie in its canonical bytes: each is exactly the
    /// canonical JSON of that column, so the bytes written for the hash can be stored as they are.
    public struct CanonicalObjects: Sendable {
        public var attributes: Range<Int>
        public var confidence: Range<Int>
        public var uncertainty: Range<Int>
    }

    /// Writes the canonical JSON of this record into the emptied `writer` and says where its objects lie.
    @discardableResult
    public func writeCanonical(into writer: inout CanonicalWriter) -> CanonicalObjects {
        writer.reset()
        return writer.write(reserving: canonicalBound) { writer in
            writer.beginObject()
            writer.plainKey("attributes")
            let attributesRange = writer.span { Self.write(attributes, to: &$0) }
            writer.plainKey("calibration_version"); writer.integer(calibrationVersion)
            writer.plainKey("case_ref"); writer.string(caseRef)
            writer.plainKey("confidence")
            let confidenceRange = writer.span { Self.write(confidence, to: &$0) }
            writer.plainKey("derived_entropy"); writer.number(derived?.entropy)
            writer.plainKey("derived_margin"); writer.number(derived?.margin)
            writer.plainKey("derived_msp"); writer.number(derived?.msp)
            writer.plainKey("escalated"); writer.bool(escalated)
            writer.plainKey("image_ref"); writer.string(imageRef)
            writer.plainKey("label"); writer.integer(label.map(Int64.init))
            writer.plainKey("model"); writer.string(model)
            writer.plainKey("model_version"); writer.string(modelVersion)
            writer.plainKey("occurred_at"); writer.timestamp(occurredAt)
            writer.plainKey("option_logits"); Self.write(optionLogits, to: &writer)
            writer.plainKey("option_probs"); Self.write(optionProbs, to: &writer)
            writer.plainKey("options")
            writer.beginArray()
            for option in options { writer.string(option) }
            writer.endArray()
            writer.plainKey("perturbation_kind"); writer.string(perturbation?.kind)
            writer.plainKey("perturbation_of"); writer.string(perturbation?.of)
            writer.plainKey("predicted"); writer.integer(Int64(predicted))
            writer.plainKey("prediction_id"); writer.string(predictionID)
            writer.plainKey("question"); writer.string(question)
            writer.plainKey("site"); writer.string(site)
            writer.plainKey("uncertainty")
            let uncertaintyRange = writer.span { Self.write(uncertainty, to: &$0) }
            writer.endObject()
            return CanonicalObjects(attributes: attributesRange, confidence: confidenceRange, uncertainty: uncertaintyRange)
        }
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
        .object(JSONObject([
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

    private static func write(_ values: [Double]?, to writer: inout CanonicalOutput) {
        guard let values else { return writer.null() }
        writer.beginArray()
        for value in values { writer.number(value) }
        writer.endArray()
    }
}

extension PredictionLine {
    /// Writes the canonical JSON of the record read last from `line` into the emptied `writer`, byte for byte what
    /// ``PredictionRecord/writeCanonical(into:)`` writes for ``record(in:)`` with `derived` filled in (a differential
    /// test pins this): the line's strings need no escapes, so their bytes are copied as they are.
    @discardableResult
    public func writeCanonical(
        in line: UnsafeBufferPointer<UInt8>, derived: (msp: Double, margin: Double, entropy: Double)?, into writer: inout CanonicalWriter
    ) -> PredictionRecord.CanonicalObjects {
        func text(_ span: Span?) -> UnsafeBufferPointer<UInt8>? { span.map { UnsafeBufferPointer(rebasing: line[$0]) } }
        func scores(_ scores: [Score], _ writer: inout CanonicalOutput) {
            writer.beginObject()
            for score in scores {
                writer.plainKey(text(score.method)!)
                writer.number(score.value, text: score.text, in: line)
            }
            writer.endObject()
        }
        func numbers(_ range: Range<Int>?, _ writer: inout CanonicalOutput) {
            guard let range else { return writer.null() }
            writer.beginArray()
            for index in range { writer.number(self.numbers[index], text: numberTexts[index], in: line) }
            writer.endArray()
        }
        // Every string is a span of the line, copied with its quotes and at most a comma and a colon.
        let bound = 1024 + 2 * line.count + CanonicalOutput.numberBound * (self.numbers.count + confidence.count + uncertainty.count + 6)
        writer.reset()
        return writer.write(reserving: bound) { writer in
            writer.beginObject()
            writer.plainKey("attributes")
            let attributesRange = writer.span { writer in
                writer.beginObject()
                for attribute in attributes {
                    writer.plainKey(text(attribute.key)!)
                    writer.plainString(text(attribute.value))
                }
                writer.endObject()
            }
            writer.plainKey("calibration_version"); writer.integer(calibrationVersion)
            writer.plainKey("case_ref"); writer.plainString(text(caseRef))
            writer.plainKey("confidence")
            let confidenceRange = writer.span { scores(confidence, &$0) }
            writer.plainKey("derived_entropy"); writer.number(derived?.entropy)
            writer.plainKey("derived_margin"); writer.number(derived?.margin)
            writer.plainKey("derived_msp"); writer.number(derived?.msp)
            writer.plainKey("escalated"); writer.bool(escalated)
            writer.plainKey("image_ref"); writer.plainString(text(imageRef))
            writer.plainKey("label"); writer.integer(label.map(Int64.init))
            writer.plainKey("model"); writer.plainString(text(model))
            writer.plainKey("model_version"); writer.plainString(text(modelVersion))
            writer.plainKey("occurred_at"); writer.timestamp(occurredAt)
            writer.plainKey("option_logits"); numbers(logits, &writer)
            writer.plainKey("option_probs"); numbers(probabilities, &writer)
            writer.plainKey("options")
            writer.beginArray()
            for option in options { writer.plainString(text(option)) }
            writer.endArray()
            writer.plainKey("perturbation_kind"); writer.string(perturbationOf == nil ? nil : "nota")
            writer.plainKey("perturbation_of"); writer.plainString(text(perturbationOf))
            writer.plainKey("predicted"); writer.integer(Int64(predicted))
            writer.plainKey("prediction_id"); writer.plainString(text(predictionID))
            writer.plainKey("question"); writer.plainString(text(question))
            writer.plainKey("site"); writer.plainString(text(site))
            writer.plainKey("uncertainty")
            let uncertaintyRange = writer.span { scores(uncertainty, &$0) }
            writer.endObject()
            return PredictionRecord.CanonicalObjects(attributes: attributesRange, confidence: confidenceRange, uncertainty: uncertaintyRange)
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
        .object(JSONObject([
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
        .object(JSONObject([
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
