import AuditCore
import AuditStore
import Foundation

/// The evidence of [from, to) as a FHIR R5 Bundle (docs/compliance.md, "FHIR export"): an `AuditEvent` per ingest batch,
/// label revision, calibration status change and access event, and a `Provenance` per calibration version fitted in the
/// window. Records are named by the references they already carry (batch, prediction and version ids, token names);
/// no patient identifier is added.
extension AuditApp {
    /// Builds the Bundle of [from, to).
    public func fhirBundle(from: Timestamp, to: Timestamp) throws -> JSONValue {
        let connection = try migratedConnection()
        var entries: [JSONValue] = []
        entries += try ExportQueries.batches(connection, from: from, to: to).map(FHIR.auditEvent)
        entries += try ExportQueries.labelRevisions(connection, from: from, to: to).map(FHIR.auditEvent)
        entries += try CalibrationStore.events(connection, from: from, to: to).map(FHIR.auditEvent)
        entries += try AccessStore.list(connection, since: from, until: to, limit: Int.max).map(FHIR.auditEvent)
        let signatures = Dictionary(grouping: try CalibrationSignatures.list(connection), by: \.versionID)
        for version in try CalibrationStore.list(connection).reversed() {
            guard let created = version.createdAt, created >= from, created < to else { continue }
            entries.append(FHIR.provenance(version, signatures: signatures[version.versionID] ?? []))
        }
        return .object([
            ("resourceType", .string("Bundle")), ("id", .string("vlm-audit-\(from.day)-\(to.day)")), ("type", .string("collection")),
            ("timestamp", .string(Timestamp.now().rfc3339)),
            ("entry", .array(entries.map { .object([("resource", $0)]) })),
        ])
    }
}

/// The FHIR R5 resources of the export, as JSON.
enum FHIR {
    static let eventTypes = "https://vlm-audit.invalid/fhir/CodeSystem/audit-event"
    static let outcomes = "http://terminology.hl7.org/CodeSystem/audit-event-outcome"
    static let participantTypes = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
    static let signatureTypes = "urn:iso-astm:E1762-95:2013"

    /// A reference by identifier (`urn:vlm-audit:<kind>`), with a display text.
    static func reference(_ kind: String, _ value: String, display: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("identifier", .object([("system", .string("urn:vlm-audit:\(kind)")), ("value", .string(value))]))
        ]
        if let display { members.append(("display", .string(display))) }
        return .object(JSONObject(members))
    }

    static func detail(_ name: String, _ value: JSONValue) -> JSONValue {
        let key: String =
            switch value {
            case .integer: "valueInteger"
            case .bool: "valueBoolean"
            default: "valueString"
            }
        return .object([("type", .object([("text", .string(name))])), (key, value)])
    }

    static func auditEvent(
        id: String, code: String, text: String, action: String, recorded: Timestamp, outcome: String, agents: [JSONValue],
        entities: [JSONValue]
    ) -> JSONValue {
        .object([
            ("resourceType", .string("AuditEvent")), ("id", .string(id)),
            (
                "code",
                .object([
                    ("coding", .array([.object([("system", .string(eventTypes)), ("code", .string(code))])])), ("text", .string(text)),
                ])
            ),
            ("action", .string(action)), ("recorded", .string(recorded.rfc3339)),
            ("outcome", .object([("code", .object([("system", .string(outcomes)), ("code", .string(outcome))]))])),
            ("agent", .array(agents)), ("source", .object([("observer", .object([("display", .string("vlm-audit"))]))])),
            ("entity", .array(entities)),
        ])
    }

    static func agent(_ display: String, requestor: Bool = true, network: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("who", .object([("display", .string(display))])), ("requestor", .bool(requestor))]
        if let network { members.append(("networkString", .string(network))) }
        return .object(JSONObject(members))
    }

    static func auditEvent(_ batch: IngestBatchSummary) -> JSONValue {
        auditEvent(
            id: "ingest-batch-\(batch.batchID)", code: "ingest-batch", text: "ingest batch \(batch.batchID) (\(batch.kind))",
            action: "C", recorded: batch.ingestedAt, outcome: "0", agents: [agent(batch.source)],
            entities: [
                .object([
                    ("what", reference("ingest-batch", String(batch.batchID))),
                    (
                        "detail",
                        .array([
                            detail("kind", .string(batch.kind)), detail("inserted", .integer(Int64(batch.inserted))),
                            detail("duplicates", .integer(Int64(batch.duplicates))), detail("rejected", .integer(Int64(batch.rejected))),
                            detail("chain_hash", .string(batch.chainHash)), detail("code_version", .string(batch.codeVersion)),
                        ])
                    ),
                ])
            ])
    }

    static func auditEvent(_ revision: LabelRevision) -> JSONValue {
        auditEvent(
            id: "label-revision-\(revision.labelID)", code: "label-revision",
            text: "label \(revision.labelID) revises an earlier label of prediction \(revision.predictionID)", action: "U",
            recorded: revision.recordedAt, outcome: "0", agents: [agent(revision.reviewer)],
            entities: [
                .object([
                    ("what", reference("prediction", revision.predictionID)),
                    (
                        "detail",
                        .array([
                            detail("label_id", .integer(revision.labelID)), detail("reviewed_at", .string(revision.reviewedAt.rfc3339)),
                            detail("batch_id", .integer(revision.batchID)),
                        ])
                    ),
                ])
            ])
    }

    static func auditEvent(_ event: CalibrationStatusEvent) -> JSONValue {
        auditEvent(
            id: "calibration-event-\(event.eventID)", code: "calibration-status",
            text: "calibration version \(event.versionID) of \(event.model) is \(event.status.rawValue)", action: "U",
            recorded: event.recordedAt, outcome: "0", agents: [agent(event.actor)],
            entities: [
                .object([
                    (
                        "what",
                        reference("calibration-version", String(event.versionID), display: "\(event.model) version \(event.versionID)")
                    ),
                    (
                        "detail",
                        .array([
                            detail("status", .string(event.status.rawValue)), detail("reason", .string(event.reason)),
                            detail("event_hash", .string(event.eventHash)),
                        ])
                    ),
                ])
            ])
    }

    static func auditEvent(_ event: AccessEvent) -> JSONValue {
        let outcome =
            switch event.outcome {
            case .allowed: "0"
            case .denied: "4"
            case .failed: "8"
            }
        var details = event.object.sorted { $0.key < $1.key }.map { detail($0.key, .string($0.value)) }
        details.append(detail("channel", .string(event.channel.rawValue)))
        details.append(detail("database_role", .string(event.databaseRole)))
        if let status = event.status { details.append(detail("status", .integer(Int64(status)))) }
        return auditEvent(
            id: "access-\(event.eventID ?? 0)", code: "access", text: event.action, action: "R", recorded: event.occurredAt,
            outcome: outcome, agents: [agent(event.actor, network: event.client)],
            entities: [.object([("what", .object([("display", .string(event.action))])), ("detail", .array(details))])])
    }

    static func provenance(_ version: CalibrationVersion, signatures: [CalibrationSignature]) -> JSONValue {
        let fingerprint: String? = {
            if case .string(let text)? = version.evidence["data_fingerprint"] { return text }
            return nil
        }()
        var entities: [JSONValue] = [
            .object([
                ("role", .string("source")),
                (
                    "what",
                    reference(
                        "evidence-window", "\(version.windowFrom.rfc3339)/\(version.windowTo.rfc3339)",
                        display: "labeled predictions of \(version.model) in [\(version.windowFrom.rfc3339), \(version.windowTo.rfc3339)): "
                            + "\(version.nFit) fit, \(version.nHoldout) hold-out")
                ),
            ])
        ]
        if let fingerprint {
            entities.append(.object([("role", .string("source")), ("what", reference("data-fingerprint", fingerprint))]))
        }
        let approvals = signatures.filter { $0.meaning != .rejected }
        var agents: [JSONValue] = [
            .object([
                ("type", .object([("coding", .array([.object([("system", .string(participantTypes)), ("code", .string("author"))])]))])),
                ("who", .object([("display", .string(version.fittedBy))])),
            ])
        ]
        agents += approvals.map { signature in
            .object([
                ("type", .object([("coding", .array([.object([("system", .string(participantTypes)), ("code", .string("attester"))])]))])),
                ("who", .object([("display", .string(signature.signer.description))])),
            ])
        }
        var members: [(String, JSONValue)] = [
            ("resourceType", .string("Provenance")), ("id", .string("calibration-version-\(version.versionID)")),
            (
                "target",
                .array([
                    reference("calibration-version", String(version.versionID), display: "\(version.model) version \(version.versionID)")
                ])
            ),
            ("recorded", .string((version.createdAt ?? version.windowTo).rfc3339)),
            ("activity", .object([("text", .string("recalibration: temperature and escalation threshold fitted with \(version.mode)"))])),
            ("agent", .array(agents)), ("entity", .array(entities)),
        ]
        if !signatures.isEmpty {
            members.append(
                (
                    "signature",
                    .array(
                        signatures.map { signature in
                            .object([
                                (
                                    "type",
                                    .array([
                                        .object([
                                            ("system", .string(signatureTypes)),
                                            (
                                                "code",
                                                .string(
                                                    signature.meaning == .rejected ? "1.2.840.10065.1.12.1.13" : "1.2.840.10065.1.12.1.6")
                                            ),
                                            ("display", .string(signature.meaning.rawValue)),
                                        ])
                                    ])
                                ),
                                ("when", .string(signature.signedAt.rfc3339)),
                                ("who", .object([("display", .string(signature.signer.description))])),
                            ])
                        })
                ))
        }
        return .object(JSONObject(members))
    }
}
