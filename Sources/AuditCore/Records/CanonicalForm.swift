/// The canonical text of each record kind: what the tamper-evident chain hashes (docs/hash-chain.md).
///
/// A canonical JSON object (see ``CanonicalJSON``) holding every stored field of the record, `null` when absent,
/// so that `verify` can rebuild it from the stored row alone and compare.
extension PredictionRecord {
    /// The canonical JSON text of this record.
    public var canonicalText: String {
        var members: [(key: String, value: JSONValue)] = [
            ("attributes", .object(JSONObject(attributes.map { ($0.key, JSONValue.string($0.value)) }))),
            ("calibration_version", calibrationVersion.map { .integer($0) } ?? .null),
            ("case_ref", optionalString(caseRef)),
            ("confidence", scoreObject(confidence)),
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
        ]
        members.append(("derived_entropy", derived.map { .number($0.entropy) } ?? .null))
        members.append(("derived_margin", derived.map { .number($0.margin) } ?? .null))
        members.append(("derived_msp", derived.map { .number($0.msp) } ?? .null))
        return CanonicalJSON.text(.object(JSONObject(members)))
    }
}

extension LabelRecord {
    /// The canonical JSON text of this record.
    public var canonicalText: String {
        CanonicalJSON.text(.object(JSONObject([
            ("label", .integer(Int64(label))),
            ("note", optionalString(note)),
            ("prediction_id", .string(predictionID)),
            ("reviewed_at", .string(reviewedAt.rfc3339)),
            ("reviewer", .string(reviewer)),
        ])))
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

    /// The canonical JSON text of this quarantine entry.
    public var canonicalText: String {
        CanonicalJSON.text(.object(JSONObject([
            ("field", optionalString(field)),
            ("kind", .string(kind.rawValue)),
            ("line_number", lineNumber.map { .integer(Int64($0)) } ?? .null),
            ("prediction_id", optionalString(predictionID)),
            ("raw", .string(raw)),
            ("reason", .string(reason)),
            ("source", .string(source)),
        ])))
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
