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
            var reader = LineCursor(bytes: bytes)
            return try? reader.readPrediction()
        }
    }
}

/// Thrown inside the reader for whatever the general path must handle; never escapes it.
private struct NeedsGeneralPath: Error {}

/// The top-level fields of a prediction record.
private enum PredictionField: Int {
    case predictionID, model, modelVersion, site, occurredAt, caseRef, imageRef, attributes, question, options, optionLogits,
         optionProbs, predicted, confidence, uncertainty, perturbation, label, escalated, calibrationVersion

    /// The field a key names (the names of ``RecordValidator``'s prediction fields), found by the key's length and a
    /// `memcmp` with the one or two names of that length.
    init(key: UnsafeBufferPointer<UInt8>) throws(NeedsGeneralPath) {
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
        guard let field else { throw NeedsGeneralPath() }
        self = field
    }

    private static func match(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString, _ field: PredictionField) -> PredictionField? {
        name.utf8CodeUnitCount == key.count && memcmp(key.baseAddress!, name.utf8Start, key.count) == 0 ? field : nil
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// Exact powers of ten for the fast decimal conversion (every one up to 1e22 is a double).
private let exactPowersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

private struct LineCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: The record

    mutating func readPrediction() throws(NeedsGeneralPath) -> PredictionRecord {
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
                guard seen & (1 << field.rawValue) == 0 else { throw NeedsGeneralPath() }
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
                case .label: label = try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in try cursor.integer() }
                case .escalated: escalated = try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in try cursor.bool() }
                case .calibrationVersion:
                    calibrationVersion = try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in try cursor.integer() }
                }
            } while try continues(UInt8(ascii: "}"))
        }
        skipWhitespace()
        guard position == bytes.count else { throw NeedsGeneralPath() }

        // The record-level rules of RecordValidator.prediction.
        guard let predictionID, let model, let occurredAt, let options, let predicted else { throw NeedsGeneralPath() }
        let optionCount = Int64(options.count)
        guard logits == nil || probabilities == nil, logits.map({ $0.count == options.count }) ?? true,
              probabilities.map({ $0.count == options.count }) ?? true,
              (0..<optionCount).contains(predicted), label.map({ (0..<optionCount).contains($0) }) ?? true,
              calibrationVersion.map({ $0 >= 1 }) ?? true,
              perturbation?.of != predictionID,
              !confidence.contains(where: { score in uncertainty.contains { $0.method == score.method } })
        else { throw NeedsGeneralPath() }
        if let probabilities {
            do { try RecordValidator.checkProbabilities(probabilities) } catch { throw NeedsGeneralPath() }
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
    mutating func identifier() throws(NeedsGeneralPath) -> String {
        let text = try string(limit: RecordLimits.identifier)
        guard !text.isEmpty else { throw NeedsGeneralPath() }
        return text
    }

    mutating func optionalText(limit: Int) throws(NeedsGeneralPath) -> String? {
        try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in try cursor.string(limit: limit) }
    }

    mutating func timestamp() throws(NeedsGeneralPath) -> Timestamp {
        let text = try rawString()
        guard text.count <= 64, let timestamp = Timestamp(rfc3339UTF8: Array(text)), Timestamp.plausibleRange.contains(timestamp) else {
            throw NeedsGeneralPath()
        }
        return timestamp
    }

    mutating func optionArray() throws(NeedsGeneralPath) -> [String] {
        var options: [String] = []
        if try openIsEmpty(UInt8(ascii: "["), UInt8(ascii: "]")) == false {
            repeat {
                let option = try string(limit: RecordLimits.option)
                guard !option.isEmpty else { throw NeedsGeneralPath() }
                options.append(option)
            } while try continues(UInt8(ascii: "]"))
        }
        guard RecordLimits.options.contains(options.count) else { throw NeedsGeneralPath() }
        return options
    }

    mutating func numberArray() throws(NeedsGeneralPath) -> [Double]? {
        try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in
            var values: [Double] = []
            values.reserveCapacity(8)
            if try cursor.openIsEmpty(UInt8(ascii: "["), UInt8(ascii: "]")) == false {
                repeat { values.append(try cursor.number()) } while try cursor.continues(UInt8(ascii: "]"))
            }
            return values
        }
    }

    mutating func attributeObject() throws(NeedsGeneralPath) -> [(key: String, value: String)] {
        try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in
            var attributes: [(key: String, value: String)] = []
            if try cursor.openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
                repeat {
                    let key = try cursor.string(limit: RecordLimits.attributeKey)
                    // String equality, as the general parser finds duplicate keys.
                    guard !key.isEmpty, !attributes.contains(where: { $0.key == key }) else { throw NeedsGeneralPath() }
                    try cursor.colon()
                    attributes.append((key, try cursor.string(limit: RecordLimits.attributeValue)))
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard attributes.count <= RecordLimits.attributes else { throw NeedsGeneralPath() }
            return attributes
        } ?? []
    }

    mutating func scoreObject() throws(NeedsGeneralPath) -> [(method: String, value: Double)] {
        try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in
            var scores: [(method: String, value: Double)] = []
            if try cursor.openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) == false {
                repeat {
                    let name = try cursor.rawString()
                    guard (1...64).contains(name.count), name.allSatisfy(isMethodNameByte) else { throw NeedsGeneralPath() }
                    guard !isDerivedMethodName(name) else { throw NeedsGeneralPath() }
                    let method = String(decoding: name, as: UTF8.self)
                    guard !scores.contains(where: { $0.method == method }) else { throw NeedsGeneralPath() }
                    try cursor.colon()
                    scores.append((method, try cursor.number()))
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard scores.count <= RecordLimits.methods else { throw NeedsGeneralPath() }
            return scores
        } ?? []
    }

    mutating func perturbationObject() throws(NeedsGeneralPath) -> Perturbation? {
        try nullOr { (cursor: inout LineCursor) throws(NeedsGeneralPath) in
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
                        throw NeedsGeneralPath()
                    }
                } while try cursor.continues(UInt8(ascii: "}"))
            }
            guard kind == "nota", let of, !of.isEmpty else { throw NeedsGeneralPath() }
            return Perturbation(kind: "nota", of: of)
        }
    }

    // MARK: JSON tokens

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Consumes `open`; true when the container closes right away (`close` consumed too).
    mutating func openIsEmpty(_ open: UInt8, _ close: UInt8) throws(NeedsGeneralPath) -> Bool {
        guard position < bytes.count, bytes[position] == open else { throw NeedsGeneralPath() }
        position += 1
        skipWhitespace()
        guard position < bytes.count, bytes[position] == close else { return false }
        position += 1
        return true
    }

    /// After a value: true at `,` (another element follows), false at `close` (consumed).
    mutating func continues(_ close: UInt8) throws(NeedsGeneralPath) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw NeedsGeneralPath() }
        if bytes[position] == UInt8(ascii: ",") {
            position += 1
            skipWhitespace()
            return true
        }
        guard bytes[position] == close else { throw NeedsGeneralPath() }
        position += 1
        return false
    }

    mutating func colon() throws(NeedsGeneralPath) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw NeedsGeneralPath() }
        position += 1
        skipWhitespace()
    }

    /// `null` (consumed) gives nil; anything else is read by `read`.
    mutating func nullOr<T>(_ read: (inout LineCursor) throws(NeedsGeneralPath) -> T) throws(NeedsGeneralPath) -> T? {
        if literal("null") { return nil }
        return try read(&self)
    }

    /// Consumes `word` when it comes next.
    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return false }
        position += count
        return true
    }

    mutating func bool() throws(NeedsGeneralPath) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw NeedsGeneralPath()
    }

    /// The bytes of a string without escapes or control characters (quotes consumed).
    mutating func rawString() throws(NeedsGeneralPath) -> UnsafeBufferPointer<UInt8> {
        guard position < bytes.count, bytes[position] == quote else { throw NeedsGeneralPath() }
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == quote {
                position += 1
                return UnsafeBufferPointer(rebasing: bytes[start..<(position - 1)])
            }
            guard byte >= 0x20, byte != backslash else { throw NeedsGeneralPath() }
            position += 1
        }
        throw NeedsGeneralPath()
    }

    /// A string of at most `limit` bytes (the general path's limits count characters, never more than bytes).
    mutating func string(limit: Int) throws(NeedsGeneralPath) -> String {
        let raw = try rawString()
        guard raw.count <= limit, let text = String(validatingUTF8Bytes: raw) else { throw NeedsGeneralPath() }
        return text
    }

    /// A number as ``JSONValue/doubleValue`` gives it: integers that fit Int64 through Int64, others correctly rounded.
    mutating func number() throws(NeedsGeneralPath) -> Double {
        let lexeme = try numberLexeme()
        if lexeme.isInteger, let integer = lexeme.integer { return Double(integer) }
        if let significand = lexeme.significand, significand <= 1 << 53, let exponent = lexeme.exponent, abs(exponent) <= 22 {
            // Clinger's fast path: both operands are exact, so the one rounding is the correct one.
            let magnitude = exponent >= 0 ? Double(significand) * exactPowersOfTen[exponent] : Double(significand) / exactPowersOfTen[-exponent]
            return lexeme.negative ? -magnitude : magnitude
        }
        let value = try correctlyRounded(lexeme.range)
        guard value.isFinite else { throw NeedsGeneralPath() }
        return value
    }

    /// An integer literal that fits Int64 (`2.0` and `2e0`, which the general path also accepts, go there).
    mutating func integer() throws(NeedsGeneralPath) -> Int64 {
        let lexeme = try numberLexeme()
        guard lexeme.isInteger, let integer = lexeme.integer else { throw NeedsGeneralPath() }
        return integer
    }

    /// One number by JSON's grammar, with what the conversions need.
    struct NumberLexeme {
        var range: Range<Int>
        var negative = false
        var isInteger = true
        /// The value, for an integer literal of at most 18 digits.
        var integer: Int64?
        /// All digits as one integer (nil beyond 19 digits) and the power of ten that scales it (nil when huge).
        var significand: UInt64?
        var exponent: Int?
    }

    mutating func numberLexeme() throws(NeedsGeneralPath) -> NumberLexeme {
        let start = position
        var lexeme = NumberLexeme(range: start..<start)
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            lexeme.negative = true
            position += 1
        }
        var significand: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        guard position < bytes.count, isDigit(bytes[position]) else { throw NeedsGeneralPath() }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw NeedsGeneralPath() }
        } else {
            while position < bytes.count, isDigit(bytes[position]) {
                accumulate(bytes[position], into: &significand, digits: &digits)
                position += 1
            }
        }
        let integerDigits = digits
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            lexeme.isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw NeedsGeneralPath() }
            while position < bytes.count, isDigit(bytes[position]) {
                accumulate(bytes[position], into: &significand, digits: &digits)
                fractionDigits += 1
                position += 1
            }
        }
        var exponent = 0
        var exponentIsSmall = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            lexeme.isInteger = false
            position += 1
            var exponentNegative = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw NeedsGeneralPath() }
            while position < bytes.count, isDigit(bytes[position]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[position] - 0x30) } else { exponentIsSmall = false }
                position += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        lexeme.range = start..<position
        // Leading zeros of a fraction (0.000123) add digits but no value, so `digits` may overcount: that only sends
        // a few more numbers to strtod.
        if digits <= 19 {
            lexeme.significand = significand
            if exponentIsSmall { lexeme.exponent = exponent - fractionDigits }
        }
        if lexeme.isInteger, integerDigits <= 18 {
            lexeme.integer = lexeme.negative ? -Int64(significand) : Int64(significand)
        }
        return lexeme
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private func accumulate(_ byte: UInt8, into significand: inout UInt64, digits: inout Int) {
        digits += 1
        if digits <= 19 { significand = significand &* 10 &+ UInt64(byte - 0x30) }
    }

    /// C's correctly rounded conversion of the bytes in `range`, when the process's locale writes the decimal point
    /// as `.` (as it does unless something calls `setlocale`); the general path converts otherwise.
    private func correctlyRounded(_ range: Range<Int>) throws(NeedsGeneralPath) -> Double {
        guard range.count < 512, let conventions = localeconv(), conventions.pointee.decimal_point?.pointee == CChar(UInt8(ascii: ".")),
              conventions.pointee.decimal_point?.successor().pointee == 0
        else { throw NeedsGeneralPath() }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { text in
            for offset in 0..<range.count { text[offset] = CChar(bitPattern: bytes[range.lowerBound + offset]) }
            text[range.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &end)
            return end == text.baseAddress! + range.count ? value : .nan
        }
    }
}

/// The UTF-8 of ``derivedMethodNames``.
private let derivedMethodNameBytes: [[UInt8]] = derivedMethodNames.map { Array($0.utf8) }

/// True for the names of ``derivedMethodNames`` (msp, margin, entropy), which clients may not supply.
private func isDerivedMethodName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    derivedMethodNameBytes.contains { $0.count == name.count && $0.elementsEqual(name) }
}

/// The bytes a UE method's name may hold: letters, digits, `_`, `.`, `:` and `-`.
private func isMethodNameByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
}
