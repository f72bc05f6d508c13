#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one JSON Lines prediction straight into a ``PredictionRecord``, without building a JSON tree: the fast path
/// of file ingest, where parsing into ``JSONValue`` and validating that tree cost more than everything else a record
/// goes through on the client.
///
/// It reads only what it can read with certainty: known keys, each once; strings without escapes or control
/// characters; numbers as ``JSONParser`` converts them. It returns nil for anything else, and for any record that
/// breaks a rule of ``RecordValidator`` (conservatively: a text over its limit in bytes, an integer written `2.0`):
/// the caller then takes the general path, ``JSONParser`` and ``RecordValidator``, which words the reason. Every record
/// it does return is the one the general path returns for the same line (a differential test pins this).
public enum PredictionLineReader {
    /// The record in `line` (one JSON text), or nil when the general path must read it.
    public static func record(_ line: [UInt8]) -> PredictionRecord? {
        line.withUnsafeBufferPointer { bytes in
            var cursor = JSONByteCursor(bytes: bytes)
            return try? cursor.readPrediction()
        }
    }
}

/// The top-level fields of a prediction record.
private enum PredictionField: Int {
    case predictionID, model, modelVersion, site, occurredAt, caseRef, imageRef, attributes, question, options, optionLogits,
         optionProbs, predicted, confidence, uncertainty, perturbation, label, escalated, calibrationVersion

    /// The field a key names (the names of ``RecordValidator``'s prediction fields), found by the key's length and a
    /// `memcmp` with the one or two names of that length.
    init(key: UnsafeBufferPointer<UInt8>) throws(NotPlainJSON) {
        let field: PredictionField? = switch key.count {
        case 4: Self.match(key, "site", .site)
        case 5: Self.match(key, "model", .model) ?? Self.match(key, "label", .label)
        case 7: Self.match(key, "options", .options)
        case 8: Self.match(key, "case_ref", .caseRef) ?? Self.match(key, "question", .question)
        case 9: Self.match(key, "image_ref", .imageRef) ?? Self.match(key, "predicted", .predicted) ?? Self.match(key, "escalated", .escalated)
        case 10: Self.match(key, "attributes", .attributes) ?? Self.match(key, "confidence", .confidence)
        case 11: Self.match(key, "occurred_at", .occurredAt) ?? Self.match(key, "uncertainty", .uncertainty)
        case 12: Self.match(key, "option_probs", .optionProbs) ?? Self.match(key, "perturbation", .perturbation)
        case 13:
            Self.match(key, "prediction_id", .predictionID) ?? Self.match(key, "model_version", .modelVersion)
                ?? Self.match(key, "option_logits", .optionLogits)
        case 19: Self.match(key, "calibration_version", .calibrationVersion)
        default: nil
        }
        guard let field else { throw NotPlainJSON() }
        self = field
    }

    private static func match(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString, _ field: PredictionField) -> PredictionField? {
        name.utf8CodeUnitCount == key.count && memcmp(key.baseAddress!, name.utf8Start, key.count) == 0 ? field : nil
    }
}

/// The record and its field values, read with the token-level cursor shared with ``FlatJSONObject``.
private extension JSONByteCursor {
    // MARK: The record

    mutating func readPrediction() throws(NotPlainJSON) -> PredictionRecord {
        var seen = 0
        var predictionID: String?
        var model: String?
        var modelVersion: String?
        var site: String?
        var occurredAt: Timestamp?
        var caseRef: String?
        var imageRef: String?
        var attributes: [(key: String, value: String)] = []
        var question: String?
        var options: [String]?
        var logits: [Double]?
        var probabilities: [Double]?
        var predicted: Int64?
        var confidence: [(method: String, value: Double)] = []
        var uncertainty: [(method: String, value: Double)] = []
        var perturbation: Perturbation?
        var label: Int64?
        var escalated: Bool?
        var calibrationVersion: Int64?

        skipWhitespace()
        if try openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
            repeat {
                let field = try PredictionField(key: rawString())
                guard seen & (1 << field.rawValue) == 0 else { throw NotPlainJSON() }
                seen |= 1 << field.rawValue
                try colon()
                switch field {
                case .predictionID: predictionID = try identifier()
                case .model: model = try identifier()
                case .modelVersion: modelVersion = try optionalText(limit: RecordLimits.identifier)
                case .site: site = try optionalText(limit: RecordLimits.identifier)
                case .occurredAt: occurredAt = try timestamp()
                case .caseRef: caseRef = try optionalText(limit: RecordLimits.reference)
                case .imageRef: imageRef = try optionalText(limit: RecordLimits.reference)
                case .attributes: attributes = try attributeObject()
                case .question: question = try optionalText(limit: RecordLimits.question)
                case .options: options = try optionArray()
                case .optionLogits: logits = try numberArray()
                case .optionProbs: probabilities = try numberArray()
                case .predicted: predicted = try integer()
                case .confidence: confidence = try scoreObject()
                case .uncertainty: uncertainty = try scoreObject()
                case .perturbation: perturbation = try perturbationObject()
                case .label: label = try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.integer() }
                case .escalated: escalated = try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.bool() }
                case .calibrationVersion:
                    calibrationVersion = try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.integer() }
                }
            } while try continues(UInt8(ascii: "}"))
        }
        skipWhitespace()
        guard position == bytes.count else { throw NotPlainJSON() }

        // The record-level rules of RecordValidator.prediction.
        guard let predictionID, let model, let occurredAt, let options, let predicted else { throw NotPlainJSON() }
        let optionCount = Int64(options.count)
        guard logits == nil || probabilities == nil, logits.map({ $0.count == options.count }) ?? true,
              probabilities.map({ $0.count == options.count }) ?? true,
              (0..<optionCount).contains(predicted), label.map({ (0..<optionCount).contains($0) }) ?? true,
              calibrationVersion.map({ $0 >= 1 }) ?? true,
              perturbation?.of != predictionID,
              !confidence.contains(where: { score in uncertainty.contains { $0.method == score.method } })
        else { throw NotPlainJSON() }
        if let probabilities {
            do { try RecordValidator.checkProbabilities(probabilities) } catch { throw NotPlainJSON() }
        }
        return PredictionRecord(
            predictionID: predictionID, model: model, modelVersion: modelVersion, site: site, occurredAt: occurredAt,
            caseRef: caseRef, imageRef: imageRef, attributes: attributes, question: question, options: options,
            optionLogits: logits, optionProbs: probabilities, predicted: Int(predicted), confidence: confidence,
            uncertainty: uncertainty, perturbation: perturbation, label: label.map { Int($0) }, escalated: escalated,
            calibrationVersion: calibrationVersion)
    }

    // MARK: Field values

    /// A required, non-empty string of at most the identifier limit in bytes.
    mutating func identifier() throws(NotPlainJSON) -> String {
        let text = try string(limit: RecordLimits.identifier)
        guard !text.isEmpty else { throw NotPlainJSON() }
        return text
    }

    mutating func optionalText(limit: Int) throws(NotPlainJSON) -> String? {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.string(limit: limit) }
    }

    mutating func timestamp() throws(NotPlainJSON) -> Timestamp {
        let text = try rawString()
        guard text.count <= 64, let timestamp = Timestamp(rfc3339UTF8: text), Timestamp.plausibleRange.contains(timestamp) else {
            throw NotPlainJSON()
        }
        return timestamp
    }

    mutating func optionArray() throws(NotPlainJSON) -> [String] {
        var options: [String] = []
        if try openIsEmpty(UInt8(ascii: "["), UInt8(ascii: "]")) == false {
            repeat {
                let option = try string(limit: RecordLimits.option)
                guard !option.isEmpty else { throw NotPlainJSON() }
                options.append(option)
            } while try continues(UInt8(ascii: "]"))
        }
        guard RecordLimits.options.contains(options.count) else { throw NotPlainJSON() }
        return options
    }

    mutating func numberArray() throws(NotPlainJSON) -> [Double]? {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in
            var values: [Double] = []
            values.reserveCapacity(8)
            if try cursor.openIsEmpty(UInt8(ascii: "["), UInt8(ascii: "]")) == false {
                repeat { values.append(try cursor.number()) } while try cursor.continues(UInt8(ascii: "]"))
            }
            return values
        }
    }

    mutating func attributeObject() throws(NotPlainJSON) -> [(key: String, value: String)] {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in
            var attributes: [(key: String, value: String)] = []
            if try cursor.openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
                repeat {
                    let key = try cursor.string(limit: RecordLimits.attributeKey)
                    // String equality, as the general parser finds duplicate keys.
                    guard !key.isEmpty, !attributes.contains(where: { $0.key == key }) else { throw NotPlainJSON() }
                    try cursor.colon()
                    attributes.append((key, try cursor.string(limit: RecordLimits.attributeValue)))
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard attributes.count <= RecordLimits.attributes else { throw NotPlainJSON() }
            return attributes
        } ?? []
    }

    mutating func scoreObject() throws(NotPlainJSON) -> [(method: String, value: Double)] {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in
            var scores: [(method: String, value: Double)] = []
            if try cursor.openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
                repeat {
                    let name = try cursor.rawString()
                    guard (1...64).contains(name.count), name.allSatisfy(isMethodNameByte) else { throw NotPlainJSON() }
                    guard !isDerivedMethodName(name) else { throw NotPlainJSON() }
                    let method = String(decoding: name, as: UTF8.self)
                    guard !scores.contains(where: { $0.method == method }) else { throw NotPlainJSON() }
                    try cursor.colon()
                    scores.append((method, try cursor.number()))
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard scores.count <= RecordLimits.methods else { throw NotPlainJSON() }
            return scores
        } ?? []
    }

    mutating func perturbationObject() throws(NotPlainJSON) -> Perturbation? {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in
            var kind: String?
            var of: String?
            if try cursor.openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
                repeat {
                    let key = try cursor.rawString()
                    try cursor.colon()
                    if key.elementsEqual("kind".utf8), kind == nil {
                        kind = try cursor.string(limit: 16)
                    } else if key.elementsEqual("of".utf8), of == nil {
                        of = try cursor.string(limit: RecordLimits.identifier)
                    } else {
                        throw NotPlainJSON()
                    }
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard kind == "nota", let of, !of.isEmpty else { throw NotPlainJSON() }
            return Perturbation(kind: "nota", of: of)
        }
    }
}

/// The UTF-8 of ``derivedMethodNames``.
private let derivedMethodNameBytes: [[UInt8]] = derivedMethodNames.map { Array($0.utf8) }

/// True for the names of ``derivedMethodNames`` (msp, margin, entropy), which clients may not supply.
private func isDerivedMethodName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    derivedMethodNameBytes.contains { $0.count == name.count && $0.elementsEqual(name) }
}
