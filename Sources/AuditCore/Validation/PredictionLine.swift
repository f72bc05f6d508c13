#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one JSON Lines prediction straight into a ``PredictionRecord``, without building a JSON tree (see
/// ``PredictionLine``, which does the reading).
public enum PredictionLineReader {
    /// The record in `line` (one JSON text), or nil when the general path must read it.
    public static func record(_ line: [UInt8]) -> PredictionRecord? {
        var scan = PredictionLine()
        return line.withUnsafeBufferPointer { bytes in scan.read(bytes) ? scan.record(in: bytes) : nil }
    }
}

/// A prediction read straight from its JSON Lines text, as positions in that text: the fast path of file ingest, where
/// parsing into ``JSONValue``, validating that tree and then building a record of strings and arrays cost more than
/// everything else a record goes through on the client. Its strings are the spans of the line between their quotes;
/// they hold no escapes, so their bytes are at once their UTF-8 and their canonical JSON.
///
/// It reads only what it can read with certainty: known keys, each once; strings without escapes or control
/// characters; numbers as ``JSONParser`` converts them. ``read(_:)`` returns false for anything else, and for any record
/// that breaks a rule of ``RecordValidator`` (conservatively: a text over its limit in bytes, an integer written `2.0`,
/// an attribute key or a prediction id that is not ASCII): the caller then takes the general path, ``JSONParser`` and
/// ``RecordValidator``, which words the reason. Every line it reads is one the general path accepts as the record
/// ``record(in:)`` gives (a differential test pins this).
///
/// One value is reused line after line, so that reading allocates nothing once its arrays have grown.
public struct PredictionLine: Sendable {
    /// The bytes of a string value in the line, without its quotes.
    public typealias Span = Range<Int>
    /// A UE score: its method's name, its value and where its canonical text lies in the line, if it can be copied.
    public typealias Score = (method: Span, value: Double, text: NumberText)

    public fileprivate(set) var predictionID: Span = 0..<0
    public fileprivate(set) var model: Span = 0..<0
    public fileprivate(set) var modelVersion: Span?
    public fileprivate(set) var site: Span?
    public fileprivate(set) var occurredAt = Timestamp(microseconds: 0)
    public fileprivate(set) var caseRef: Span?
    public fileprivate(set) var imageRef: Span?
    /// Sorted by key bytes, as ``PredictionRecord`` sorts them.
    public fileprivate(set) var attributes: [(key: Span, value: Span)] = []
    public fileprivate(set) var question: Span?
    public fileprivate(set) var options: [Span] = []
    /// The option logits and probabilities lie in ``numbers``; at most one of the two is set.
    public fileprivate(set) var logits: Range<Int>?
    public fileprivate(set) var probabilities: Range<Int>?
    public fileprivate(set) var numbers: [Double] = []
    /// Per number of ``numbers``: where its canonical text lies in the line, if it can be copied.
    public fileprivate(set) var numberTexts: [NumberText] = []
    public fileprivate(set) var predicted = 0
    /// Sorted by method name, as ``PredictionRecord`` sorts them.
    public fileprivate(set) var confidence: [Score] = []
    public fileprivate(set) var uncertainty: [Score] = []
    /// The clean prediction a `nota` probe was derived from (the only kind of perturbation).
    public fileprivate(set) var perturbationOf: Span?
    public fileprivate(set) var label: Int?
    public fileprivate(set) var escalated: Bool?
    public fileprivate(set) var calibrationVersion: Int64?

    public init() {}

    /// Reads the record in `line` (one JSON text); false when the general path must read it.
    public mutating func read(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var cursor = JSONByteCursor(bytes: line)
        do {
            try cursor.readPrediction(into: &self)
            return true
        } catch {
            return false
        }
    }

    /// The record read last from `line` (the same text given to ``read(_:)``), as strings and arrays.
    public func record(in line: UnsafeBufferPointer<UInt8>) -> PredictionRecord {
        func text(_ span: Span) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[span]), as: UTF8.self) }
        return PredictionRecord(
            predictionID: text(predictionID), model: text(model), modelVersion: modelVersion.map(text), site: site.map(text),
            occurredAt: occurredAt, caseRef: caseRef.map(text), imageRef: imageRef.map(text),
            attributes: attributes.map { (text($0.key), text($0.value)) }, question: question.map(text), options: options.map(text),
            optionLogits: logits.map { Array(numbers[$0]) }, optionProbs: probabilities.map { Array(numbers[$0]) },
            predicted: predicted, confidence: confidence.map { (text($0.method), $0.value) },
            uncertainty: uncertainty.map { (text($0.method), $0.value) },
            perturbation: perturbationOf.map { Perturbation(kind: Perturbation.notaKind, of: text($0)) }, label: label,
            escalated: escalated,
            calibrationVersion: calibrationVersion)
    }

    /// Empties every field for the next line, keeping the arrays' storage.
    fileprivate mutating func reset() {
        modelVersion = nil; site = nil; caseRef = nil; imageRef = nil; question = nil
        logits = nil; probabilities = nil; perturbationOf = nil; label = nil; escalated = nil; calibrationVersion = nil
        attributes.removeAll(keepingCapacity: true)
        options.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
        numberTexts.removeAll(keepingCapacity: true)
        confidence.removeAll(keepingCapacity: true)
        uncertainty.removeAll(keepingCapacity: true)
    }
}

/// The top-level keys of a prediction record as received (docs/formats.md).
private enum PredictionInputKey: Int {
    case predictionID, model, modelVersion, site, occurredAt, caseRef, imageRef, attributes, question, options, optionLogits,
        optionProbs, predicted, confidence, uncertainty, perturbation, label, escalated, calibrationVersion

    /// The field a key names (the names of ``RecordValidator``'s prediction fields), found by the key's length and a
    /// `memcmp` with the one or two names of that length.
    init(key: UnsafeBufferPointer<UInt8>) throws(NotPlainJSON) {
        let field: PredictionInputKey? =
            switch key.count {
            case 4: Self.match(key, "site", .site)
            case 5: Self.match(key, "model", .model) ?? Self.match(key, "label", .label)
            case 7: Self.match(key, "options", .options)
            case 8: Self.match(key, "case_ref", .caseRef) ?? Self.match(key, "question", .question)
            case 9:
                Self.match(key, "image_ref", .imageRef) ?? Self.match(key, "predicted", .predicted)
                    ?? Self.match(key, "escalated", .escalated)
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

    private static func match(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString, _ field: PredictionInputKey) -> PredictionInputKey? {
        name.utf8CodeUnitCount == key.count && memcmp(key.baseAddress!, name.utf8Start, key.count) == 0 ? field : nil
    }
}

/// The record and its field values, read with the token-level cursor shared with ``FlatJSONObject``.
private extension JSONByteCursor {
    // MARK: The record

    mutating func readPrediction(into line: inout PredictionLine) throws(NotPlainJSON) {
        line.reset()
        var seen = 0
        skipWhitespace()
        if try openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
            repeat {
                let field = try PredictionInputKey(key: rawString())
                guard seen & (1 << field.rawValue) == 0 else { throw NotPlainJSON() }
                seen |= 1 << field.rawValue
                try colon()
                switch field {
                case .predictionID: line.predictionID = try identifier()
                case .model: line.model = try identifier()
                case .modelVersion: line.modelVersion = try optionalText(limit: RecordLimits.identifier)
                case .site: line.site = try optionalText(limit: RecordLimits.identifier)
                case .occurredAt: line.occurredAt = try timestamp()
                case .caseRef: line.caseRef = try optionalText(limit: RecordLimits.reference)
                case .imageRef: line.imageRef = try optionalText(limit: RecordLimits.reference)
                case .attributes: try attributeObject(into: &line.attributes)
                case .question: line.question = try optionalText(limit: RecordLimits.question)
                case .options: try optionArray(into: &line.options)
                case .optionLogits: line.logits = try numberArray(into: &line.numbers, texts: &line.numberTexts)
                case .optionProbs: line.probabilities = try numberArray(into: &line.numbers, texts: &line.numberTexts)
                case .predicted: line.predicted = try Int(integer())
                case .confidence: try scoreObject(into: &line.confidence)
                case .uncertainty: try scoreObject(into: &line.uncertainty)
                case .perturbation: line.perturbationOf = try perturbationObject()
                case .label: line.label = try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try Int(cursor.integer()) }
                case .escalated: line.escalated = try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.bool() }
                case .calibrationVersion:
                    line.calibrationVersion = try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.integer() }
                }
            } while try continues(UInt8(ascii: "}"))
        }
        skipWhitespace()
        guard position == bytes.count else { throw NotPlainJSON() }

        // The record-level rules of RecordValidator.prediction.
        let required = [PredictionInputKey.predictionID, .model, .occurredAt, .options, .predicted]
        guard required.allSatisfy({ seen & (1 << $0.rawValue) != 0 }) else { throw NotPlainJSON() }
        let optionCount = line.options.count
        guard line.logits == nil || line.probabilities == nil, line.logits.map({ $0.count == optionCount }) ?? true,
            line.probabilities.map({ $0.count == optionCount }) ?? true,
            (0..<optionCount).contains(line.predicted), line.label.map({ (0..<optionCount).contains($0) }) ?? true,
            line.calibrationVersion.map({ $0 >= 1 }) ?? true,
            !line.confidence.contains(where: { score in line.uncertainty.contains { same($0.method, score.method) } })
        else { throw NotPlainJSON() }
        if let of = line.perturbationOf {
            // Compared as strings by the general path: bytes decide only for ASCII.
            guard isASCII(of), isASCII(line.predictionID), !same(of, line.predictionID) else { throw NotPlainJSON() }
        }
        if let probabilities = line.probabilities {
            do { try RecordValidator.checkProbabilities(line.numbers[probabilities]) } catch { throw NotPlainJSON() }
        }
        line.attributes.sort { precedes($0.key, $1.key) }
        line.confidence.sort { precedes($0.method, $1.method) }
        line.uncertainty.sort { precedes($0.method, $1.method) }
    }

    // MARK: Field values

    /// The span of a string of at most `limit` bytes that is valid UTF-8 (the general path's limits count
    /// characters, never more than bytes).
    mutating func text(limit: Int) throws(NotPlainJSON) -> PredictionLine.Span {
        let start = position + 1
        let raw = try rawString()
        guard raw.count <= limit, isValidUTF8(raw) else { throw NotPlainJSON() }
        return start..<(start + raw.count)
    }

    /// A required, non-empty string of at most the identifier limit in bytes.
    mutating func identifier() throws(NotPlainJSON) -> PredictionLine.Span {
        let span = try text(limit: RecordLimits.identifier)
        guard !span.isEmpty else { throw NotPlainJSON() }
        return span
    }

    mutating func optionalText(limit: Int) throws(NotPlainJSON) -> PredictionLine.Span? {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.text(limit: limit) }
    }

    mutating func timestamp() throws(NotPlainJSON) -> Timestamp {
        let text = try rawString()
        guard text.count <= 64, let timestamp = Timestamp(rfc3339UTF8: text), Timestamp.plausibleRange.contains(timestamp) else {
            throw NotPlainJSON()
        }
        return timestamp
    }

    mutating func optionArray(into options: inout [PredictionLine.Span]) throws(NotPlainJSON) {
        if try openIsEmpty(UInt8(ascii: "["), UInt8(ascii: "]")) == false {
            repeat {
                let option = try text(limit: RecordLimits.option)
                guard !option.isEmpty else { throw NotPlainJSON() }
                options.append(option)
            } while try continues(UInt8(ascii: "]"))
        }
        guard RecordLimits.options.contains(options.count) else { throw NotPlainJSON() }
    }

    /// Appends the numbers of an array and their texts (or nothing for `null`) and says where they lie.
    mutating func numberArray(into numbers: inout [Double], texts: inout [NumberText]) throws(NotPlainJSON) -> Range<Int>? {
        let start = numbers.count
        return try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in
            if try cursor.openIsEmpty(UInt8(ascii: "["), UInt8(ascii: "]")) == false {
                repeat {
                    let (value, text) = try cursor.numberAndText()
                    numbers.append(value)
                    texts.append(text)
                } while try cursor.continues(UInt8(ascii: "]"))
            }
            return start..<numbers.count
        }
    }

    mutating func attributeObject(into attributes: inout [(key: PredictionLine.Span, value: PredictionLine.Span)]) throws(NotPlainJSON) {
        if literal("null") { return }
        if try openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
            repeat {
                let key = try text(limit: RecordLimits.attributeKey)
                // The general parser finds duplicate keys by string equality: bytes decide only for ASCII.
                guard !key.isEmpty, isASCII(key), !attributes.contains(where: { same($0.key, key) }) else { throw NotPlainJSON() }
                try colon()
                attributes.append((key, try text(limit: RecordLimits.attributeValue)))
            } while try continues(UInt8(ascii: "}"))
        }
        guard attributes.count <= RecordLimits.attributes else { throw NotPlainJSON() }
    }

    mutating func scoreObject(into scores: inout [PredictionLine.Score]) throws(NotPlainJSON) {
        if literal("null") { return }
        if try openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
            repeat {
                let start = position + 1
                let name = try rawString()
                guard (1...64).contains(name.count), name.allSatisfy(isMethodNameByte) else { throw NotPlainJSON() }
                guard !isDerivedMethodName(name) else { throw NotPlainJSON() }
                let method = start..<(start + name.count)
                guard !scores.contains(where: { same($0.method, method) }) else { throw NotPlainJSON() }
                try colon()
                let (value, text) = try numberAndText()
                scores.append((method, value, text))
            } while try continues(UInt8(ascii: "}"))
        }
        guard scores.count <= RecordLimits.methods else { throw NotPlainJSON() }
    }

    /// The `of` of a `nota` perturbation object, or nil for `null`.
    mutating func perturbationObject() throws(NotPlainJSON) -> PredictionLine.Span? {
        try nullOr { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in
            var kind: Range<Int>?
            var of: Range<Int>?
            if try cursor.openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
                repeat {
                    let key = try cursor.rawString()
                    try cursor.colon()
                    if key.elementsEqual("kind".utf8), kind == nil {
                        kind = try cursor.text(limit: 16)
                    } else if key.elementsEqual("of".utf8), of == nil {
                        of = try cursor.text(limit: RecordLimits.identifier)
                    } else {
                        throw NotPlainJSON()
                    }
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard let kind, UnsafeBufferPointer(rebasing: cursor.bytes[kind]).elementsEqual("nota".utf8), let of, !of.isEmpty else {
                throw NotPlainJSON()
            }
            return of
        }
    }

    // MARK: Spans

    func same(_ first: PredictionLine.Span, _ second: PredictionLine.Span) -> Bool {
        first.count == second.count
            && memcmp(bytes.baseAddress! + first.lowerBound, bytes.baseAddress! + second.lowerBound, first.count) == 0
    }

    /// Byte order, as ``PredictionRecord`` sorts its keys (`utf8.lexicographicallyPrecedes`).
    func precedes(_ first: PredictionLine.Span, _ second: PredictionLine.Span) -> Bool {
        UnsafeBufferPointer(rebasing: bytes[first]).lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: bytes[second]))
    }

    func isASCII(_ span: PredictionLine.Span) -> Bool {
        UnsafeBufferPointer(rebasing: bytes[span]).allSatisfy { $0 < 0x80 }
    }
}

/// True when `bytes` are valid UTF-8 (checked directly for ASCII, nearly every string of a record).
private func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var combined: UInt8 = 0
    for byte in bytes { combined |= byte }
    return combined < 0x80 || String(validatingUTF8Bytes: bytes) != nil
}

/// The UTF-8 of ``DerivedMethod/names``.
private let derivedMethodNameBytes: [[UInt8]] = DerivedMethod.names.map { Array($0.utf8) }

/// True for the names of ``DerivedMethod`` (msp, margin, entropy), which clients may not supply.
private func isDerivedMethodName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    derivedMethodNameBytes.contains { $0.count == name.count && $0.elementsEqual(name) }
}
