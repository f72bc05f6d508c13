import AuditCore
import AuditStore
import Foundation
import Reports

extension AuditApp {
    /// Calibration versions, newest first (optionally of one model).
    public func calibrations(model: String? = nil) throws -> [CalibrationVersion] {
        try CalibrationStore.list(migratedConnection(), model: model)
    }

    /// One calibration version.
    public func calibration(id: Int64) throws -> CalibrationVersion? {
        try CalibrationStore.load(migratedConnection(), versionID: id)
    }

    /// The model's active calibration: what the deployed service applies.
    public func activeCalibration(model: String) throws -> CalibrationVersion? {
        try CalibrationStore.active(migratedConnection(), model: model)
    }

    /// Signs the activation of a version (a rollback when it was active before) as `signer`; the version becomes active
    /// (and the previous active one is retired) unless the deployment asks for two signers and this is the first.
    @discardableResult
    public func activateCalibration(id: Int64, signer: Signer, reason: String) throws -> SignedDecision {
        try CalibrationStore.activate(migratedConnection(), versionID: id, signer: signer, reason: reason)
    }

    /// ``activateCalibration(id:signer:reason:)`` signed on the command line: `name` printed, the operating-system user
    /// as the identity.
    @discardableResult
    public func activateCalibration(id: Int64, by name: String, reason: String) throws -> SignedDecision {
        try activateCalibration(id: id, signer: Signer(name: name, identity: Self.commandLineActor), reason: reason)
    }

    /// Signs the rejection of a proposed version as `signer`, and rejects it.
    @discardableResult
    public func rejectCalibration(id: Int64, signer: Signer, reason: String) throws -> SignedDecision {
        try CalibrationStore.reject(migratedConnection(), versionID: id, signer: signer, reason: reason)
    }

    /// ``rejectCalibration(id:signer:reason:)`` signed on the command line.
    @discardableResult
    public func rejectCalibration(id: Int64, by name: String, reason: String) throws -> SignedDecision {
        try rejectCalibration(id: id, signer: Signer(name: name, identity: Self.commandLineActor), reason: reason)
    }

    /// The signatures given to a version (or to every version), oldest first.
    public func calibrationSignatures(id: Int64? = nil) throws -> [CalibrationSignature] {
        try CalibrationSignatures.list(migratedConnection(), versionID: id)
    }

    /// True when the deployment asks for two different signers before a version becomes active.
    public func requiresTwoSigners() throws -> Bool {
        try CalibrationSignatures.requiresTwoSigners(migratedConnection())
    }

    /// Sets the deployment's signing policy, recorded with who and why.
    public func setSigningPolicy(twoSigners: Bool, by actor: String, reason: String) throws {
        try CalibrationSignatures.setPolicy(migratedConnection(), twoSigners: twoSigners, actor: actor, reason: reason)
    }
}

extension CalibrationVersion {
    /// The version as JSON: what `calibration show --json` prints and the HTTP service serves.
    public var json: JSONValue {
        .object([
            ("version", .integer(versionID)), ("model", .string(model)), ("status", .text(status?.rawValue)),
            ("method", .string(method)), ("temperature", .number(temperature)), ("threshold", .number(threshold)),
            ("escalates_everything", .bool(threshold == nil)), ("mode", .string(mode)), ("target_risk", .number(targetRisk)),
            ("delta", .number(delta)), ("coverage", .number(coverage)), ("empirical_risk", .number(empiricalRisk)),
            ("guarantee_met", .bool(guaranteeMet)), ("window_from", .string(windowFrom.rfc3339)), ("window_to", .string(windowTo.rfc3339)),
            ("n_fit", .count(nFit)), ("n_holdout", .count(nHoldout)), ("code_version", .string(codeVersion)),
            ("fitted_by", .string(fittedBy)), ("created_at", .text(createdAt?.rfc3339)),
            ("valid_from", .text(status == .active ? statusAt?.rfc3339 : nil)),
            ("status_by", .text(statusActor)), ("status_reason", .text(statusReason)), ("evidence", evidence),
        ])
    }

    /// One line for listings.
    public var summaryLine: String {
        let tau = threshold.map { String(format: "%.4f", $0) } ?? "+inf (escalate all)"
        return "\(versionID)\t\(model)\t\(status?.rawValue ?? "?")\tT=\(String(format: "%.4f", temperature))\tτ=\(tau)\t"
            + "coverage=\(String(format: "%.3f", coverage))\tn=\(nFit)+\(nHoldout)\t\(createdAt?.rfc3339.prefix(19) ?? "")"
    }
}

/// What the deployed service applies for a model: the active version, overridden to "escalate everything" while an alarm
/// of the sequential monitor stands against it (docs/monitor.md).
public struct ServedCalibration: Sendable {
    public let version: CalibrationVersion
    /// The first alarm recorded against the active version, if any.
    public let alarm: MonitorEvent?
    /// The version's escalation rule (its per-slice table read from the evidence once).
    private let rule: AcceptanceRule

    init(version: CalibrationVersion, alarm: MonitorEvent?) {
        self.version = version
        self.alarm = alarm
        rule = AcceptanceRule(version: version)
    }

    /// The threshold to apply: nil (escalate everything) when the version has none or an alarm stands.
    public var threshold: Double? { alarm == nil ? version.threshold : nil }

    /// The version's per-slice thresholds, if it has them (they replace `threshold` for the slices they list).
    public var slices: SliceThresholds? { rule.slices }

    /// True when the deployed service must escalate every case.
    public var escalatesEverything: Bool { alarm != nil || !rule.acceptsAnything }

    /// The document `GET /v1/models/{model}/calibration` serves; its ETag is a hash of it, so an alarm changes it.
    public var json: JSONValue {
        .object([
            ("model", .string(version.model)), ("version", .integer(version.versionID)), ("method", .string(version.method)),
            ("temperature", .number(version.temperature)), ("threshold", .number(threshold)),
            ("escalates_everything", .bool(escalatesEverything)), ("target_risk", .number(version.targetRisk)),
            ("slice_attribute", .text(slices?.attribute)),
            (
                "slice_thresholds",
                slices.map { table in
                    .array(
                        table.entries.map { entry in
                            .object([
                                ("value", .string(entry.value)), ("threshold", .number(alarm == nil ? entry.threshold : nil)),
                                ("own_guarantee", .bool(entry.ownGuarantee)),
                            ])
                        })
                } ?? .null
            ),
            ("delta", .number(version.delta)), ("valid_from", .text(version.statusAt?.rfc3339)),
            ("fitted_threshold", .number(version.threshold)),
            (
                "monitor_alarm",
                alarm.map { alarm in
                    .object([
                        ("reason", .string(alarm.reason)), ("recorded_at", .text(alarm.recordedAt?.rfc3339)),
                        ("prediction_id", .text(alarm.alarmPredictionID)),
                        ("slice", alarm.slice.isWhole ? .null : .string("\(alarm.slice.attribute)=\(alarm.slice.value)")),
                    ])
                } ?? .null
            ),
        ])
    }
}

extension AuditApp {
    /// The model's served calibration: its active version and the monitor alarm in force, if any.
    public func servedCalibration(model: String) throws -> ServedCalibration? {
        let connection = try migratedConnection()
        guard let version = try CalibrationStore.active(connection, model: model) else { return nil }
        return ServedCalibration(
            version: version, alarm: try MonitorStore.alarms(connection, model: model, versionID: version.versionID).first)
    }

    /// Per model with an active version: its whole-model e-value now, and the alarms ever recorded for the model (all
    /// versions), for the metrics scrape.
    public func monitorGauges() throws -> [(model: String, eValue: Double, alarms: Int)] {
        let connection = try migratedConnection()
        let alarms = Dictionary(grouping: try MonitorStore.alarms(connection), by: \.model)
        var gauges: [(model: String, eValue: Double, alarms: Int)] = []
        for model in try ScoredPredictionQueries.modelNames(connection) {
            guard let version = try CalibrationStore.active(connection, model: model) else { continue }
            let whole = try MonitorStore.states(connection, model: model, versionID: version.versionID).first { $0.slice.isWhole }
            gauges.append((model, MonitorSection.eValue(whole?.logEValue ?? 0), alarms[model]?.count ?? 0))
        }
        return gauges
    }
}

extension CalibrationSignature {
    /// The signature as JSON (`calibration show --json`, the model card): its manifestation's fields.
    public var json: JSONValue {
        .object([
            ("signature_id", .integer(signatureID)), ("version", .integer(versionID)), ("meaning", .string(meaning.rawValue)),
            ("signer_name", .string(signer.name)), ("signer_identity", .string(signer.identity)),
            ("signed_at", .string(signedAt.rfc3339)), ("reason", .string(reason)),
        ])
    }
}

extension SignedDecision {
    /// The decision as the HTTP service answers it: the version, its status now, and the signatures that count.
    public func json(version: Int64) -> JSONValue {
        let (status, signatures): (String, [CalibrationSignature]) =
            switch self {
            case .active(let signatures): ("active", signatures)
            case .awaitingSecondSigner(let first): ("awaiting_second_signer", [first])
            case .rejected(let signature): ("rejected", [signature])
            }
        return .object([("version", .integer(version)), ("status", .string(status)), ("signatures", .array(signatures.map(\.json)))])
    }
}

/// A calibration decision the store refused: an unknown version, or a status that does not allow it.
public struct CalibrationDecisionRefused: Error, CustomStringConvertible {
    public let description: String
    public let unknownVersion: Bool
}
