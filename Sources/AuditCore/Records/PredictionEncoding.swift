/// The one definition of how a prediction is encoded: its fields, each once, with the key the canonical JSON gives it and
/// the `predictions` column that stores it.
///
/// Every encoding walks these fields: the canonical JSON that the tamper-evident chain hashes (in key order), the row that
/// `COPY` stores (in column order), and the decoding of a stored row by `verify`. A value that can be encoded (the
/// validated ``PredictionRecord``, or a line scanned by ``PredictionLine``) is a ``PredictionFieldSource``: it says, in one
/// exhaustive `switch`, what each field holds; each encoding is a ``PredictionFieldSink``. A new case here therefore does
/// not compile until both sources give its value, and reaches the hash and the row alike.
public enum PredictionField: Int, CaseIterable, Sendable {
    // Declared in the order of the `predictions` columns that store them.
    case predictionID, model, modelVersion, site, occurredAt, caseRef, imageRef, attributes, question, options
    case optionLogits, optionProbs, predicted, confidence, uncertainty, derivedMSP, derivedMargin, derivedEntropy
    case perturbationKind, perturbationOf, label, escalated, calibrationVersion

    /// The field's key in the canonical JSON.
    public var canonicalKey: StaticString {
        switch self {
        case .predictionID: "prediction_id"
        case .model: "model"
        case .modelVersion: "model_version"
        case .site: "site"
        case .occurredAt: "occurred_at"
        case .caseRef: "case_ref"
        case .imageRef: "image_ref"
        case .attributes: "attributes"
        case .question: "question"
        case .options: "options"
        case .optionLogits: "option_logits"
        case .optionProbs: "option_probs"
        case .predicted: "predicted"
        case .confidence: "confidence"
        case .uncertainty: "uncertainty"
        case .derivedMSP: "derived_msp"
        case .derivedMargin: "derived_margin"
        case .derivedEntropy: "derived_entropy"
        case .perturbationKind: "perturbation_kind"
        case .perturbationOf: "perturbation_of"
        case .label: "label"
        case .escalated: "escalated"
        case .calibrationVersion: "calibration_version"
        }
    }

    /// The `predictions` column that stores the field.
    public var column: String {
        switch self {
        case .derivedMSP: "msp"
        case .derivedMargin: "margin"
        case .derivedEntropy: "entropy"
        default: canonicalKey.description
        }
    }

    /// The fields in the canonical JSON's order: sorted by key bytes, as ``CanonicalJSON`` sorts every object.
    public static let canonicalOrder: [PredictionField] = allCases.sorted { first, second in
        first.canonicalKey.withUTF8Buffer { lhs in second.canonicalKey.withUTF8Buffer { rhs in lhs.lexicographicallyPrecedes(rhs) } }
    }

    /// The columns of all fields in declaration order, for a `SELECT` list.
    public static let columnList = allCases.map(\.column).joined(separator: ", ")
}

/// The three fields that are JSON objects; stored as `jsonb`, whose text is exactly the object's canonical JSON.
public enum PredictionObjectField: Sendable {
    case attributes, confidence, uncertainty
}

/// A value whose fields can be encoded: it gives each field's value to a sink, which encodes it.
public protocol PredictionFieldSource {
    /// Gives the value of `field` to `sink`, as exactly one call of the sink's.
    func write<Sink: PredictionFieldSink>(_ field: PredictionField, to sink: inout Sink)
}

/// One encoding of a prediction's fields (the canonical JSON here; the `COPY` row in AuditStore).
///
/// Each method takes one field's value; nil is JSON's `null` or SQL's NULL.
public protocol PredictionFieldSink {
    mutating func text(_ value: String?)
    /// A text whose UTF-8 needs no JSON escaping (a span of a line ``PredictionLine`` read).
    mutating func plainText(_ utf8: UnsafeBufferPointer<UInt8>?)
    mutating func texts(_ values: [String])
    /// Texts that need no JSON escaping, as spans of `line`.
    mutating func plainTexts(_ spans: [Range<Int>], in line: UnsafeBufferPointer<UInt8>)
    /// A 32-bit integer column.
    mutating func int32(_ value: Int?)
    /// A 64-bit integer column.
    mutating func int64(_ value: Int64?)
    mutating func bool(_ value: Bool?)
    mutating func timestamp(_ value: Timestamp)
    mutating func double(_ value: Double?)
    mutating func doubles(_ values: [Double]?)
    /// Numbers `values[range]` read from `line`, with where their canonical texts lie in it (``PredictionLine``).
    mutating func doubles(_ range: Range<Int>?, of values: [Double], texts: [NumberText], in line: UnsafeBufferPointer<UInt8>)
    /// An object field; `write` writes its canonical JSON.
    mutating func object(_ field: PredictionObjectField, _ write: (inout CanonicalOutput) -> Void)
}

extension PredictionRecord {
    /// Where the JSON objects of a record's three `jsonb` columns lie in its canonical bytes: each is exactly the
    /// canonical JSON of that column, so the bytes written for the hash can be stored as they are.
    public struct CanonicalObjects: Sendable {
        public var attributes: Range<Int> = 0..<0
        public var confidence: Range<Int> = 0..<0
        public var uncertainty: Range<Int> = 0..<0

        /// Where the object of `field` lies.
        public subscript(field: PredictionObjectField) -> Range<Int> {
            get {
                switch field {
                case .attributes: attributes
                case .confidence: confidence
                case .uncertainty: uncertainty
                }
            }
            set {
                switch field {
                case .attributes: attributes = newValue
                case .confidence: confidence = newValue
                case .uncertainty: uncertainty = newValue
                }
            }
        }
    }
}

extension PredictionFieldSource {
    /// Writes the canonical JSON object of every field into `output` (room reserved by the caller) and says where its
    /// object fields lie.
    func writeCanonicalFields(into output: inout CanonicalOutput) -> PredictionRecord.CanonicalObjects {
        var sink = CanonicalFieldSink(output: output)
        sink.output.beginObject()
        for field in PredictionField.canonicalOrder {
            sink.output.plainKey(field.canonicalKey)
            write(field, to: &sink)
        }
        sink.output.endObject()
        output = sink.output
        return sink.objects
    }
}

/// The canonical JSON encoding of a prediction's fields.
private struct CanonicalFieldSink: PredictionFieldSink {
    var output: CanonicalOutput
    var objects = PredictionRecord.CanonicalObjects()

    mutating func text(_ value: String?) { output.string(value) }
    mutating func plainText(_ utf8: UnsafeBufferPointer<UInt8>?) { output.plainString(utf8) }

    mutating func texts(_ values: [String]) {
        output.beginArray()
        for value in values { output.string(value) }
        output.endArray()
    }

    mutating func plainTexts(_ spans: [Range<Int>], in line: UnsafeBufferPointer<UInt8>) {
        output.beginArray()
        for span in spans { output.plainString(UnsafeBufferPointer(rebasing: line[span])) }
        output.endArray()
    }

    mutating func int32(_ value: Int?) { output.integer(value.map(Int64.init)) }
    mutating func int64(_ value: Int64?) { output.integer(value) }
    mutating func bool(_ value: Bool?) { output.bool(value) }
    mutating func timestamp(_ value: Timestamp) { output.timestamp(value) }
    mutating func double(_ value: Double?) { output.number(value) }

    mutating func doubles(_ values: [Double]?) {
        guard let values else { return output.null() }
        output.beginArray()
        for value in values { output.number(value) }
        output.endArray()
    }

    mutating func doubles(_ range: Range<Int>?, of values: [Double], texts: [NumberText], in line: UnsafeBufferPointer<UInt8>) {
        guard let range else { return output.null() }
        output.beginArray()
        for index in range { output.number(values[index], text: texts[index], in: line) }
        output.endArray()
    }

    mutating func object(_ field: PredictionObjectField, _ write: (inout CanonicalOutput) -> Void) {
        objects[field] = output.span(write)
    }
}
