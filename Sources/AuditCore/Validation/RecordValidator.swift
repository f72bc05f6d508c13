#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why one record was rejected: the field (when one is to blame) and one plain reason.
public struct RecordRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The record's `prediction_id`, when it could be read.
    public var predictionID: String?
    /// The offending field, or nil when the record as a whole is at fault.
    public let field: String?
    /// One plain sentence, e.g. `option_probs sums to 1.31`.
    public let reason: String

    public init(predictionID: String? = nil, field: String?, reason: String) {
        self.predictionID = predictionID
        self.field = field
        self.reason = reason
    }

    public var description: String { field.map { "\($0): \(reason)" } ?? reason }
}

/// Size limits that keep records references-only (no pixels, no documents) and the database healthy.
public enum RecordLimits {
    public static let identifier = 200
    public static let reference = 512
    public static let question = 20_000
    public static let option = 2_000
    public static let options = 2...26
    public static let attributes = 32
    public static let attributeKey = 64
    public static let attributeValue = 200
    public static let note = 4_000
    public static let methods = 64
    /// The tolerance on Σ option_probs = 1.
    public static let probabilitySumTolerance = 1e-3
}

/// Checks records against the formats of docs/formats.md and turns them into typed records.
public enum RecordValidator {
    /// Every field of a prediction record.
    public static let predictionFields: Set<String> = [
        "prediction_id", "model", "model_version", "site", "occurred_at", "case_ref", "image_ref", "attributes",
        "question", "options", "option_logits", "option_probs", "predicted", "confidence", "uncertainty",
        "perturbation", "label", "escalated", "calibration_version",
    ]
    /// Every field of a ground-truth record.
    public static let labelFields: Set<String> = ["prediction_id", "label", "reviewer", "reviewed_at", "note"]

    /// Validates a prediction record. Cross-record rules (conflicts, method orientation history) are the store's.
    ///
    /// `sourceText`, the line the record was read from (JSON or CSV), lets a record whose text holds neither a zero
    /// byte nor a `\u0000` escape skip the search of every string for U+0000.
    public static func prediction(_ value: JSONValue, sourceText: String? = nil) -> Result<PredictionRecord, RecordRejection> {
        guard case .object(let object) = value else {
            return .failure(RecordRejection(field: nil, reason: "a record must be a JSON object, not \(value.typeName)"))
        }
        if sourceText?.mayEncodeNUL ?? true, let rejection = nulRejection(value, object) { return .failure(rejection) }
        var reader = FieldReader(object: object)
        do {
            reader.predictionID = try reader.identifier("prediction_id")
            try reader.rejectUnknown(allowed: predictionFields, format: "prediction")
            let model = try reader.identifier("model")
            let options = try reader.options()
            let logits = try reader.numbers("option_logits", count: options.count)
            let probabilities = try reader.numbers("option_probs", count: options.count)
            if logits != nil && probabilities != nil {
                throw RecordRejection(field: "option_probs", reason: "give option_logits or option_probs, not both")
            }
            if let probabilities { try checkProbabilities(probabilities) }
            let predicted = try reader.index("predicted", required: true, optionCount: options.count)!
            let confidence = try reader.scores("confidence")
            let uncertainty = try reader.scores("uncertainty")
            if let shared = confidence.map(\.method).first(where: { name in uncertainty.contains { $0.method == name } }) {
                throw RecordRejection(field: "uncertainty", reason: "method \(shared) appears under both confidence and uncertainty")
            }
            let perturbation = try reader.perturbation()
            if perturbation?.of == reader.predictionID {
                throw RecordRejection(field: "perturbation.of", reason: "a probe cannot be derived from itself")
            }
            let record = PredictionRecord(
                predictionID: reader.predictionID!,
                model: model,
                modelVersion: try reader.optionalText("model_version", limit: RecordLimits.identifier),
                site: try reader.optionalText("site", limit: RecordLimits.identifier),
                occurredAt: try reader.timestamp("occurred_at"),
                caseRef: try reader.optionalText("case_ref", limit: RecordLimits.reference),
                imageRef: try reader.optionalText("image_ref", limit: RecordLimits.reference),
                attributes: try reader.attributes(),
                question: try reader.optionalText("question", limit: RecordLimits.question),
                options: options,
                optionLogits: logits,
                optionProbs: probabilities,
                predicted: predicted,
                confidence: confidence,
                uncertainty: uncertainty,
                perturbation: perturbation,
                label: try reader.index("label", required: false, optionCount: options.count),
                escalated: try reader.optionalBool("escalated"),
                calibrationVersion: try reader.optionalInteger("calibration_version", minimum: 1)
            )
            return .success(record)
        } catch var rejection as RecordRejection {
            rejection.predictionID = reader.predictionID ?? object["prediction_id"]?.stringValue
            return .failure(rejection)
        } catch {
            return .failure(RecordRejection(field: nil, reason: "\(error)"))
        }
    }

    /// Validates a ground-truth record. Whether the prediction exists, and the label's range, are checked by the store.
    public static func label(_ value: JSONValue) -> Result<LabelRecord, RecordRejection> {
        guard case .object(let object) = value else {
            return .failure(RecordRejection(field: nil, reason: "a record must be a JSON object, not \(value.typeName)"))
        }
        if let rejection = nulRejection(value, object) { return .failure(rejection) }
        var reader = FieldReader(object: object)
        do {
            reader.predictionID = try reader.identifier("prediction_id")
            try reader.rejectUnknown(allowed: labelFields, format: "ground-truth")
            guard let label = try reader.optionalInteger("label", minimum: 0) else {
                throw RecordRejection(field: "label", reason: "label is required")
            }
            guard label < Int64(RecordLimits.options.upperBound) else {
                throw RecordRejection(
                    field: "label",
                    reason: "label=\(label) is beyond the largest possible option index \(RecordLimits.options.upperBound - 1)")
            }
            return .success(
                LabelRecord(
                    predictionID: reader.predictionID!,
                    label: Int(label),
                    reviewer: try reader.identifier("reviewer"),
                    reviewedAt: try reader.timestamp("reviewed_at"),
                    note: try reader.optionalText("note", limit: RecordLimits.note)))
        } catch var rejection as RecordRejection {
            rejection.predictionID = reader.predictionID ?? object["prediction_id"]?.stringValue
            return .failure(rejection)
        } catch {
            return .failure(RecordRejection(field: nil, reason: "\(error)"))
        }
    }

    static func checkProbabilities(_ probabilities: some Collection<Double>) throws {
        for (index, probability) in probabilities.enumerated() where probability < 0 || probability > 1 {
            throw RecordRejection(field: "option_probs", reason: "option_probs[\(index)]=\(probability) is outside [0, 1]")
        }
        let sum = probabilities.reduce(0, +)
        if abs(sum - 1) > RecordLimits.probabilitySumTolerance {
            throw RecordRejection(field: "option_probs", reason: "option_probs sums to \(formatSum(sum)), not 1 ± 0.001")
        }
    }

    static func formatSum(_ sum: Double) -> String {
        let rounded = (sum * 10_000).rounded() / 10_000
        return rounded.description
    }
}

/// Reads typed fields out of one JSON object, throwing a ``RecordRejection`` that names the field.
/// Rejects a record holding U+0000 anywhere, naming the prediction when its id is clean.
func nulRejection(_ value: JSONValue, _ object: JSONObject) -> RecordRejection? {
    guard containsNUL(value), let field = firstNUL(in: value) else { return nil }
    var identifier: String?
    if case .string(let text)? = object["prediction_id"], !text.containsNUL { identifier = text }
    return RecordRejection(
        predictionID: identifier, field: field, reason: "\(field) contains a NUL character (U+0000), which cannot be stored")
}

/// What follows the backslash of the JSON escape for U+0000.
private let nulEscapeTail = Array("u0000".utf8)

extension String {
    /// False when no value read from this text can hold U+0000: it has no zero byte and no `\u0000` escape.
    var mayEncodeNUL: Bool {
        var text = self
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress, !bytes.isEmpty else { return false }
            if memchr(start, 0, bytes.count) != nil { return true }
            // Every backslash, found with memchr, is checked for `u0000` after it (a false hit only costs the search).
            let escape = nulEscapeTail
            var offset = 0
            while offset < bytes.count, let found = memchr(start + offset, Int32(UInt8(ascii: "\\")), bytes.count - offset) {
                let position = start.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if bytes.count - position > escape.count, bytes[(position + 1)...(position + escape.count)].elementsEqual(escape) {
                    return true
                }
                offset = position + 1
            }
            return false
        }
    }

    /// True when the text holds U+0000 (a zero byte in its UTF-8), found with `memchr`.
    public var containsNUL: Bool {
        var text = self
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(start, 0, bytes.count) != nil
        }
    }
}

/// True when some key or string holds U+0000: the cheap walk every record takes (no paths are built).
func containsNUL(_ value: JSONValue) -> Bool {
    switch value {
    case .string(let text): text.containsNUL
    case .array(let elements): elements.contains(where: containsNUL)
    case .object(let object): object.members.contains { $0.key.containsNUL || containsNUL($0.value) }
    case .null, .bool, .integer, .number: false
    }
}

/// The path of the first key or string holding U+0000 (PostgreSQL text cannot), or nil.
func firstNUL(in value: JSONValue, path: String = "") -> String? {
    switch value {
    case .string(let text):
        return text.containsNUL ? (path.isEmpty ? "record" : path) : nil
    case .array(let elements):
        for (index, element) in elements.enumerated() {
            if let found = firstNUL(in: element, path: "\(path)[\(index)]") { return found }
        }
        return nil
    case .object(let object):
        for member in object.members {
            let name = member.key.containsNUL ? "(a key with U+0000)" : member.key
            let child = path.isEmpty ? name : "\(path).\(name)"
            if name != member.key { return child }
            if let found = firstNUL(in: member.value, path: child) { return found }
        }
        return nil
    case .null, .bool, .integer, .number:
        return nil
    }
}

struct FieldReader {
    let object: JSONObject
    var predictionID: String?

    init(object: JSONObject) {
        self.object = object
    }

    func rejectUnknown(allowed: Set<String>, format: String) throws {
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw RecordRejection(
                field: unknown,
                reason: "unknown field \"\(unknown)\" (not part of the \(format) record format; "
                    + "direct identifiers and image data must never be logged)")
        }
    }

    func text(_ field: String, limit: Int) throws -> String? {
        guard let value = object[field] else { return nil }
        if case .null = value { return nil }
        guard case .string(let string) = value else {
            throw RecordRejection(field: field, reason: "\(field) must be a string, not \(value.typeName)")
        }
        try checkText(string, field: field, limit: limit)
        return string
    }

    func identifier(_ field: String) throws -> String {
        guard let value = try text(field, limit: RecordLimits.identifier) else {
            throw RecordRejection(field: field, reason: "\(field) is required")
        }
        guard !value.isEmpty else { throw RecordRejection(field: field, reason: "\(field) is empty") }
        return value
    }

    func optionalText(_ field: String, limit: Int) throws -> String? {
        try text(field, limit: limit)
    }

    func checkText(_ string: String, field: String, limit: Int) throws {
        // Characters are never more than UTF-8 bytes, so most strings need no count of their scalars.
        if string.utf8.count > limit, case let length = string.unicodeScalars.count, length > limit {
            throw RecordRejection(field: field, reason: "\(field) is \(length) characters long; the limit is \(limit)")
        }
        if string.containsNUL {
            throw RecordRejection(field: field, reason: "\(field) contains a NUL character")
        }
    }

    func timestamp(_ field: String) throws -> Timestamp {
        guard let text = try text(field, limit: 64) else {
            throw RecordRejection(field: field, reason: "\(field) is required")
        }
        guard let timestamp = Timestamp(rfc3339: text) else {
            throw RecordRejection(field: field, reason: "\(field) is not an RFC 3339 timestamp with a time zone: \"\(text)\"")
        }
        guard Timestamp.plausibleRange.contains(timestamp) else {
            throw RecordRejection(field: field, reason: "\(field) must lie in the years 1900 to 9999, not \"\(text)\"")
        }
        return timestamp
    }

    func options() throws -> [String] {
        guard let value = object["options"], value != .null else {
            throw RecordRejection(field: "options", reason: "options is required")
        }
        guard case .array(let elements) = value else {
            throw RecordRejection(field: "options", reason: "options must be an array of strings, not \(value.typeName)")
        }
        guard RecordLimits.options.contains(elements.count) else {
            throw RecordRejection(field: "options", reason: "options has \(elements.count) entries; 2 to 26 are allowed")
        }
        return try elements.enumerated().map { index, element in
            guard case .string(let option) = element else {
                throw RecordRejection(field: "options", reason: "options[\(index)] must be a string, not \(element.typeName)")
            }
            guard !option.isEmpty else { throw RecordRejection(field: "options", reason: "options[\(index)] is empty") }
            try checkText(option, field: "options[\(index)]", limit: RecordLimits.option)
            return option
        }
    }

    func numbers(_ field: String, count: Int) throws -> [Double]? {
        guard let value = object[field], value != .null else { return nil }
        guard case .array(let elements) = value else {
            throw RecordRejection(field: field, reason: "\(field) must be an array of numbers, not \(value.typeName)")
        }
        guard elements.count == count else {
            throw RecordRejection(field: field, reason: "\(field) has \(elements.count) values for \(count) options")
        }
        return try elements.enumerated().map { index, element in
            guard let number = element.doubleValue else {
                throw RecordRejection(field: field, reason: "\(field)[\(index)] must be a number, not \(element.typeName)")
            }
            return number
        }
    }

    func index(_ field: String, required: Bool, optionCount: Int) throws -> Int? {
        guard let value = object[field], value != .null else {
            if required { throw RecordRejection(field: field, reason: "\(field) is required") }
            return nil
        }
        guard let integer = value.integerValue else {
            throw RecordRejection(field: field, reason: "\(field) must be an integer option index, not \(describe(value))")
        }
        guard integer >= 0, integer < Int64(optionCount) else {
            throw RecordRejection(field: field, reason: "\(field)=\(integer) but only \(optionCount) options")
        }
        return Int(integer)
    }

    func optionalInteger(_ field: String, minimum: Int64) throws -> Int64? {
        guard let value = object[field], value != .null else { return nil }
        guard let integer = value.integerValue else {
            throw RecordRejection(field: field, reason: "\(field) must be an integer, not \(describe(value))")
        }
        guard integer >= minimum else {
            throw RecordRejection(field: field, reason: "\(field)=\(integer) is below \(minimum)")
        }
        return integer
    }

    func optionalBool(_ field: String) throws -> Bool? {
        guard let value = object[field], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw RecordRejection(field: field, reason: "\(field) must be true or false, not \(describe(value))")
        }
        return flag
    }

    func scores(_ field: String) throws -> [(method: String, value: Double)] {
        guard let value = object[field], value != .null else { return [] }
        guard case .object(let scores) = value else {
            throw RecordRejection(field: field, reason: "\(field) must be an object of method → number, not \(value.typeName)")
        }
        guard scores.members.count <= RecordLimits.methods else {
            throw RecordRejection(
                field: field, reason: "\(field) has \(scores.members.count) methods; the limit is \(RecordLimits.methods)")
        }
        return try scores.members.map { member in
            try checkMethodName(member.key, field: field)
            if DerivedMethod.names.contains(member.key) {
                throw RecordRejection(
                    field: "\(field).\(member.key)",
                    reason: "\(member.key) is derived by vlm-audit from the option "
                        + "probabilities and may not be supplied")
            }
            guard let number = member.value.doubleValue else {
                throw RecordRejection(
                    field: "\(field).\(member.key)", reason: "\(field).\(member.key) must be a number, not \(member.value.typeName)")
            }
            return (member.key, number)
        }
    }

    func checkMethodName(_ name: String, field: String) throws {
        guard name.utf8.allSatisfy(isMethodNameByte), (1...64).contains(name.utf8.count) else {
            throw RecordRejection(field: field, reason: "method name \"\(name)\" must be 1–64 letters, digits, '_', '.', ':' or '-'")
        }
    }

    func attributes() throws -> [(key: String, value: String)] {
        guard let value = object["attributes"], value != .null else { return [] }
        guard case .object(let attributes) = value else {
            throw RecordRejection(field: "attributes", reason: "attributes must be an object of string → string, not \(value.typeName)")
        }
        guard attributes.members.count <= RecordLimits.attributes else {
            throw RecordRejection(
                field: "attributes", reason: "attributes has \(attributes.members.count) entries; the limit is \(RecordLimits.attributes)")
        }
        return try attributes.members.map { member in
            guard !member.key.isEmpty else { throw RecordRejection(field: "attributes", reason: "an attribute name is empty") }
            try checkText(member.key, field: "attributes", limit: RecordLimits.attributeKey)
            guard case .string(let text) = member.value else {
                throw RecordRejection(
                    field: "attributes.\(member.key)", reason: "attributes.\(member.key) must be a string, not \(member.value.typeName)")
            }
            try checkText(text, field: "attributes.\(member.key)", limit: RecordLimits.attributeValue)
            return (member.key, text)
        }
    }

    func perturbation() throws -> Perturbation? {
        guard let value = object["perturbation"], value != .null else { return nil }
        guard case .object(let fields) = value else {
            throw RecordRejection(
                field: "perturbation", reason: "perturbation must be an object {\"kind\": \"nota\", \"of\": \"<prediction_id>\"}")
        }
        if let unknown = fields.keys.first(where: { $0 != "kind" && $0 != "of" }) {
            throw RecordRejection(field: "perturbation.\(unknown)", reason: "unknown field \"\(unknown)\" in perturbation")
        }
        guard case .string(let kind)? = fields["kind"] else {
            throw RecordRejection(field: "perturbation.kind", reason: "perturbation.kind is required (a string such as \"nota\")")
        }
        guard kind == Perturbation.notaKind else {
            throw RecordRejection(field: "perturbation.kind", reason: "perturbation.kind \"\(kind)\" is not supported; use \"nota\"")
        }
        guard case .string(let of)? = fields["of"], !of.isEmpty else {
            throw RecordRejection(field: "perturbation.of", reason: "perturbation.of must name the clean prediction_id")
        }
        try checkText(of, field: "perturbation.of", limit: RecordLimits.identifier)
        return Perturbation(kind: kind, of: of)
    }

    func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let number): return "\(number)"
        case .string(let text): return "the string \"\(text.prefix(40))\""
        default: return value.typeName
        }
    }
}

/// The bytes a UE method's name may hold: letters, digits, `_`, `.`, `:` and `-`.
func isMethodNameByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
}
