@testable import AuditCore
import Testing

/// A valid prediction record as a JSON object text, with `changes` applied (nil removes a field).
func predictionJSON(_ changes: [String: String?] = [:]) -> String {
    var fields: [(String, String)] = [
        ("prediction_id", #""p-1""#), ("model", #""llava-med-7b""#), ("occurred_at", #""2026-10-05T09:12:00Z""#),
        ("options", #"["pneumonia","effusion","normal","nodule"]"#), ("option_probs", "[0.6,0.2,0.1,0.1]"),
        ("predicted", "0"), ("confidence", #"{"verbalized":0.8}"#), ("uncertainty", #"{"semantic_entropy":1.3}"#),
        ("attributes", #"{"modality":"CT","region":"chest"}"#),
    ]
    for (key, value) in changes {
        fields.removeAll { $0.0 == key }
        if let value { fields.append((key, value)) }
    }
    return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

struct BadPrediction: CustomTestStringConvertible, Sendable {
    let name: String
    let changes: [String: String?]
    let field: String?
    let reason: String
    var testDescription: String { name }
}

@Suite("prediction record validation")
struct RecordValidatorTests {
    static let badRecords: [BadPrediction] = [
        .init(name: "missing prediction_id", changes: ["prediction_id": nil], field: "prediction_id", reason: "prediction_id is required"),
        .init(
            name: "numeric prediction_id", changes: ["prediction_id": "17"], field: "prediction_id",
            reason: "prediction_id must be a string, not number"),
        .init(name: "empty prediction_id", changes: ["prediction_id": #""""#], field: "prediction_id", reason: "prediction_id is empty"),
        .init(
            name: "prediction_id too long", changes: ["prediction_id": "\"\(String(repeating: "x", count: 201))\""], field: "prediction_id",
            reason: "prediction_id is 201 characters long; the limit is 200"),
        .init(name: "missing model", changes: ["model": nil], field: "model", reason: "model is required"),
        .init(name: "missing occurred_at", changes: ["occurred_at": nil], field: "occurred_at", reason: "occurred_at is required"),
        .init(
            name: "occurred_at not RFC 3339", changes: ["occurred_at": #""05/10/2026 09:12""#], field: "occurred_at",
            reason: "occurred_at is not an RFC 3339 timestamp"),
        .init(
            name: "occurred_at without zone", changes: ["occurred_at": #""2026-10-05T09:12:00""#], field: "occurred_at",
            reason: "occurred_at is not an RFC 3339 timestamp"),
        .init(
            name: "impossible date", changes: ["occurred_at": #""2026-02-30T09:12:00Z""#], field: "occurred_at",
            reason: "occurred_at is not an RFC 3339 timestamp"),
        .init(
            name: "year 0", changes: ["occurred_at": #""0000-01-01T00:00:00Z""#], field: "occurred_at",
            reason: "occurred_at must lie in the years 1900 to 9999"),
        .init(
            name: "year 1899", changes: ["occurred_at": #""1899-12-31T23:59:59Z""#], field: "occurred_at",
            reason: "occurred_at must lie in the years 1900 to 9999"),
        .init(
            name: "NUL in a text field", changes: ["question": #""what\u0000now""#], field: "question",
            reason: "question contains a NUL character (U+0000)"),
        .init(
            name: "NUL in an option", changes: ["options": #"["a","b\u0000","c","d"]"#], field: "options[1]",
            reason: "options[1] contains a NUL character"),
        .init(
            name: "NUL in an attribute key", changes: ["attributes": #"{"mo\u0000dality":"CT"}"#], field: "attributes.(a key with U+0000)",
            reason: "contains a NUL character"),
        .init(name: "missing options", changes: ["options": nil], field: "options", reason: "options is required"),
        .init(
            name: "options not an array", changes: ["options": #""a,b""#], field: "options",
            reason: "options must be an array of strings, not string"),
        .init(
            name: "one option", changes: ["options": #"["a"]"#, "option_probs": "[1]"], field: "options",
            reason: "options has 1 entries; 2 to 26 are allowed"),
        .init(
            name: "27 options",
            changes: ["options": "[" + (0..<27).map { "\"o\($0)\"" }.joined(separator: ",") + "]", "option_probs": nil], field: "options",
            reason: "options has 27 entries"),
        .init(
            name: "non-string option", changes: ["options": #"["a",2,"c","d"]"#], field: "options",
            reason: "options[1] must be a string, not number"),
        .init(name: "empty option", changes: ["options": #"["a","","c","d"]"#], field: "options", reason: "options[1] is empty"),
        .init(
            name: "probabilities do not sum to 1", changes: ["option_probs": "[0.7,0.1,0.1,0.41]"], field: "option_probs",
            reason: "option_probs sums to 1.31"),
        .init(
            name: "negative probability", changes: ["option_probs": "[1.2,-0.2,0,0]"], field: "option_probs",
            reason: "option_probs[0]=1.2 is outside [0, 1]"),
        .init(
            name: "probabilities length", changes: ["option_probs": "[0.5,0.5]"], field: "option_probs",
            reason: "option_probs has 2 values for 4 options"),
        .init(
            name: "logits length", changes: ["option_probs": nil, "option_logits": "[1,2,3]"], field: "option_logits",
            reason: "option_logits has 3 values for 4 options"),
        .init(
            name: "string logit", changes: ["option_probs": nil, "option_logits": #"[1,"2",3,4]"#], field: "option_logits",
            reason: "option_logits[1] must be a number, not string"),
        .init(
            name: "logits and probabilities", changes: ["option_logits": "[1,2,3,4]"], field: "option_probs",
            reason: "give option_logits or option_probs, not both"),
        .init(name: "missing predicted", changes: ["predicted": nil], field: "predicted", reason: "predicted is required"),
        .init(name: "predicted out of range", changes: ["predicted": "5"], field: "predicted", reason: "predicted=5 but only 4 options"),
        .init(name: "negative predicted", changes: ["predicted": "-1"], field: "predicted", reason: "predicted=-1 but only 4 options"),
        .init(
            name: "fractional predicted", changes: ["predicted": "1.5"], field: "predicted",
            reason: "predicted must be an integer option index, not 1.5"),
        .init(
            name: "predicted as string", changes: ["predicted": #""1""#], field: "predicted",
            reason: "predicted must be an integer option index, not the string \"1\""),
        .init(
            name: "derived method supplied", changes: ["confidence": #"{"msp":0.9}"#], field: "confidence.msp",
            reason: "msp is derived by vlm-audit"),
        .init(
            name: "method under both orientations", changes: ["uncertainty": #"{"verbalized":0.2}"#], field: "uncertainty",
            reason: "method verbalized appears under both confidence and uncertainty"),
        .init(
            name: "non-numeric score", changes: ["confidence": #"{"verbalized":"high"}"#], field: "confidence.verbalized",
            reason: "confidence.verbalized must be a number, not string"),
        .init(
            name: "bad method name", changes: ["confidence": #"{"has space":0.3}"#], field: "confidence",
            reason: "method name \"has space\""),
        .init(
            name: "confidence not an object", changes: ["confidence": "[0.8]"], field: "confidence",
            reason: "confidence must be an object of method → number, not array"),
        .init(
            name: "non-string attribute", changes: ["attributes": #"{"slice":3}"#], field: "attributes.slice",
            reason: "attributes.slice must be a string, not number"),
        .init(
            name: "perturbation kind unsupported", changes: ["perturbation": #"{"kind":"blur","of":"p-0"}"#], field: "perturbation.kind",
            reason: "perturbation.kind \"blur\" is not supported"),
        .init(
            name: "perturbation without of", changes: ["perturbation": #"{"kind":"nota"}"#], field: "perturbation.of",
            reason: "perturbation.of must name the clean prediction_id"),
        .init(
            name: "probe of itself", changes: ["perturbation": #"{"kind":"nota","of":"p-1"}"#], field: "perturbation.of",
            reason: "a probe cannot be derived from itself"),
        .init(name: "label out of range", changes: ["label": "4"], field: "label", reason: "label=4 but only 4 options"),
        .init(
            name: "escalated not boolean", changes: ["escalated": #""yes""#], field: "escalated", reason: "escalated must be true or false"),
        .init(
            name: "calibration_version zero", changes: ["calibration_version": "0"], field: "calibration_version",
            reason: "calibration_version=0 is below 1"),
        .init(
            name: "unknown field (possible identifier)", changes: ["patient_name": #""Jane Doe""#], field: "patient_name",
            reason: "unknown field \"patient_name\""),
        .init(
            name: "image data instead of a reference", changes: ["image_ref": "\"\(String(repeating: "iVBORw0KGgo", count: 60))\""],
            field: "image_ref", reason: "image_ref is 660 characters long; the limit is 512"),
        .init(name: "NUL in model name", changes: ["model": #""m\u0000x""#], field: "model", reason: "model contains a NUL character"),
    ]

    @Test("each kind of bad record is rejected with its field and reason, with or without its source line", arguments: badRecords)
    func rejects(_ bad: BadPrediction) throws {
        let text = predictionJSON(bad.changes)
        let value = try JSONParser.parse(text)
        // With the line it was read from, a record whose line cannot encode U+0000 skips that search: same answer.
        for sourceText in [nil, text] {
            switch RecordValidator.prediction(value, sourceText: sourceText) {
            case .success:
                Issue.record("\(bad.name) was accepted")
            case .failure(let rejection):
                #expect(rejection.field == bad.field, "\(bad.name): field")
                #expect(rejection.reason.contains(bad.reason), "\(bad.name): got \"\(rejection.reason)\"")
                if bad.changes["prediction_id"] == nil {
                    #expect(rejection.predictionID == "p-1", "\(bad.name): prediction_id should be reported")
                }
            }
        }
    }

    @Test("a line may encode U+0000 exactly when it holds a zero byte or a \\u0000 escape")
    func nulInSourceText() {
        #expect(!#"{"question":"what now"}"#.mayEncodeNUL)
        #expect(!#"{"question":"\u00e9 \\u000"}"#.mayEncodeNUL)
        #expect(#"{"question":"what\u0000now"}"#.mayEncodeNUL)
        #expect("p-1,what\u{0}now".mayEncodeNUL)
        #expect(!"".mayEncodeNUL)
    }

    @Test("at least 25 kinds of bad record are covered")
    func coverage() {
        #expect(Self.badRecords.count >= 25)
    }

    @Test("a valid record is accepted with every field typed")
    func valid() throws {
        let value = try JSONParser.parse(
            predictionJSON([
                "perturbation": #"{"kind":"nota","of":"p-0"}"#, "label": "2", "escalated": "true", "calibration_version": "3",
                "site": #""radiology-north""#, "case_ref": #""c-9""#, "image_ref": #""sha256:abc""#,
            ]))
        let record = try RecordValidator.prediction(value).get()
        #expect(record.predictionID == "p-1")
        #expect(record.options.count == 4)
        #expect(record.optionProbs == [0.6, 0.2, 0.1, 0.1])
        #expect(record.confidence.map(\.method) == ["verbalized"])
        #expect(record.uncertainty.map(\.value) == [1.3])
        #expect(record.attributes.map(\.key) == ["modality", "region"])
        #expect(record.perturbation == Perturbation(kind: "nota", of: "p-0"))
        #expect(record.label == 2 && record.escalated == true && record.calibrationVersion == 3)
        #expect(record.occurredAt == Timestamp(rfc3339: "2026-10-05T09:12:00Z"))
    }

    @Test("probabilities within 1 ± 1e-3 are accepted")
    func probabilityTolerance() throws {
        let value = try JSONParser.parse(predictionJSON(["option_probs": "[0.6,0.2,0.1,0.1009]"]))
        #expect((try? RecordValidator.prediction(value).get()) != nil)
    }

    @Test("the canonical form is independent of key order and number spelling")
    func canonicalForm() throws {
        let first = try RecordValidator.prediction(try JSONParser.parse(predictionJSON())).get()
        let reordered =
            #"{"predicted":0,"option_probs":[0.60,0.2,1e-1,0.1],"model":"llava-med-7b","options":["pneumonia","effusion","normal","nodule"],"prediction_id":"p-1","occurred_at":"2026-10-05T11:12:00+02:00","uncertainty":{"semantic_entropy":1.30},"attributes":{"region":"chest","modality":"CT"},"confidence":{"verbalized":0.8}}"#
        let second = try RecordValidator.prediction(try JSONParser.parse(reordered)).get()
        #expect(first.canonicalText == second.canonicalText)
        #expect(first.canonicalText.contains(#""occurred_at":"2026-10-05T09:12:00.000000Z""#))
    }
}

@Suite("ground-truth record validation")
struct LabelValidatorTests {
    @Test(
        "bad labels are rejected with their field",
        arguments: [
            (#"{"label":1,"reviewer":"r","reviewed_at":"2026-10-05T09:12:00Z"}"#, "prediction_id"),
            (#"{"prediction_id":"p","reviewer":"r","reviewed_at":"2026-10-05T09:12:00Z"}"#, "label"),
            (#"{"prediction_id":"p","label":-1,"reviewer":"r","reviewed_at":"2026-10-05T09:12:00Z"}"#, "label"),
            (#"{"prediction_id":"p","label":"two","reviewer":"r","reviewed_at":"2026-10-05T09:12:00Z"}"#, "label"),
            (#"{"prediction_id":"p","label":1,"reviewed_at":"2026-10-05T09:12:00Z"}"#, "reviewer"),
            (#"{"prediction_id":"p","label":1,"reviewer":"r","reviewed_at":"last week"}"#, "reviewed_at"),
            (#"{"prediction_id":"p","label":1,"reviewer":"r","reviewed_at":"2026-10-05T09:12:00Z","mrn":"123"}"#, "mrn"),
        ])
    func rejects(json: String, field: String) throws {
        guard case .failure(let rejection) = RecordValidator.label(try JSONParser.parse(json)) else {
            Issue.record("accepted: \(json)")
            return
        }
        #expect(rejection.field == field)
    }

    @Test("a valid label")
    func valid() throws {
        let record = try RecordValidator.label(
            try JSONParser.parse(
                #"{"prediction_id":"p","label":2,"reviewer":"rad-17","reviewed_at":"2026-10-05T09:12:00.5Z","note":"ok"}"#)
        ).get()
        #expect(record.label == 2 && record.reviewer == "rad-17" && record.note == "ok")
        #expect(record.reviewedAt.rfc3339 == "2026-10-05T09:12:00.500000Z")
    }
}

@Suite("canonical form")
struct CanonicalFormTests {
    @Test(
        "the direct writer is byte-identical to the canonical JSON of the record's value tree",
        arguments: [
            predictionJSON(),
            predictionJSON([
                "perturbation": #"{"kind":"nota","of":"p-0"}"#, "label": "2", "escalated": "false", "calibration_version": "7",
                "question": #""tab\there \"quoted\" back\\slash \u0001 ünï""#, "site": #""a""#, "model_version": #""v1""#,
            ]),
            predictionJSON(["option_probs": nil, "option_logits": "[-10000, 1e-05, 3.25, 1e16]", "attributes": nil, "confidence": nil]),
        ])
    func writerMatchesTree(json: String) throws {
        var record = try RecordValidator.prediction(try JSONParser.parse(json)).get()
        record.derived = (0.123456789, 1e-7, 2.5)
        #expect(record.canonicalText == CanonicalJSON.text(record.canonicalValue))
        // The ranges the writer reports hold exactly the canonical JSON of the three jsonb columns (stored as they are).
        var writer = CanonicalWriter()
        let objects = record.writeCanonical(into: &writer)
        guard case .object(let tree) = record.canonicalValue else { return #expect(Bool(false)) }
        #expect(String(decoding: writer.bytes[objects.attributes], as: UTF8.self) == CanonicalJSON.text(tree["attributes"]!))
        #expect(String(decoding: writer.bytes[objects.confidence], as: UTF8.self) == CanonicalJSON.text(tree["confidence"]!))
        #expect(String(decoding: writer.bytes[objects.uncertainty], as: UTF8.self) == CanonicalJSON.text(tree["uncertainty"]!))
    }

    @Test(
        "labels and quarantine entries: the direct writer is byte-identical to the value tree", arguments: [nil, "ok \"quoted\"\n\u{1}ünï"])
    func labelAndQuarantineWritersMatchTrees(note: String?) throws {
        let label = LabelRecord(
            predictionID: "p-\\1", label: 3, reviewer: "rad\t17", reviewedAt: Timestamp(microseconds: 1_790_000_000_500_000), note: note)
        #expect(label.canonicalText == CanonicalJSON.text(label.canonicalValue))
        let quarantined = QuarantinedRecord(
            kind: .labels, source: "file \"a\".jsonl", lineNumber: note == nil ? nil : 12, predictionID: note, field: note,
            reason: "bad\u{7f}", raw: #"{"label": "x\u0000"}"# + (note ?? ""))
        #expect(quarantined.canonicalText == CanonicalJSON.text(quarantined.canonicalValue))
    }
}
