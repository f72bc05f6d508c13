import AuditCore
import AuditStore
import Foundation
import Reports

/// The model card of one calibration version (docs/model-card.md): what the deployed escalation rule is for, the data
/// it was fitted on, its guarantee and what that rests on, performance and uncertainty quality overall and per slice
/// on its evidence window, NOTA fragility, known limitations, and its approval history with every signature.
extension AuditApp {
    /// The card of version `id` as JSON (its sections in the order the Markdown shows them).
    /// - Throws: ``CalibrationStoreError`` for an unknown version.
    public func modelCard(version id: Int64) throws -> JSONValue {
        let connection = try migratedConnection()
        guard let version = try CalibrationStore.load(connection, versionID: id) else {
            throw CalibrationStoreError(description: "no calibration version \(id)", isUnknownVersion: true)
        }
        let evaluation = try evaluate(model: version.model, from: version.windowFrom, to: version.windowTo)
        let events = try CalibrationStore.events(connection).filter { $0.versionID == id }
        let signatures = try CalibrationSignatures.list(connection, versionID: id)
        let basis = version.evidence["guarantee_basis"] ?? .null
        let auditBased = basis["sample"] == .string("audit")
        let accept: String
        if let threshold = version.threshold {
            accept = "a prediction is accepted when its calibrated \(version.method) score passes τ = \(String(format: "%.4f", threshold))"
        } else {
            accept = "no threshold met the guarantee: every prediction is escalated"
        }
        let model: JSONValue = .object([
            ("name", .string(version.model)), ("calibration_version", .integer(version.versionID)),
            ("status", .text(version.status?.rawValue)), ("method", .string(version.method)), ("fitted_by", .string(version.fittedBy)),
            ("created_at", .text(version.createdAt?.rfc3339)), ("code_version", .string(version.codeVersion)),
        ])
        let intendedUse =
            "Decide which multiple-choice answers of \(version.model) on clinical images go to a clinician: \(accept); "
            + "the rest are escalated. It supports triage of review work; it does not make a diagnosis, and it is valid "
            + "only for the model, question types and sites represented in its evidence window."
        let data: JSONValue = .object([
            ("window_from", .string(version.windowFrom.rfc3339)), ("window_to", .string(version.windowTo.rfc3339)),
            ("fit_rows", .count(version.nFit)), ("holdout_rows", .count(version.nHoldout)), ("basis", basis),
            ("data_fingerprint", version.evidence["data_fingerprint"] ?? .null),
        ])
        let guarantee: JSONValue = .object([
            ("alpha", .number(version.targetRisk)), ("delta", .number(version.delta)), ("mode", .string(version.mode)),
            ("coverage", .number(version.coverage)), ("empirical_risk", .number(version.empiricalRisk)),
            ("met", .bool(version.guaranteeMet)), ("temperature", .number(version.temperature)),
            ("threshold", .number(version.threshold)), ("rests_on_audit_sample", .bool(auditBased)),
        ])
        let performance: JSONValue = .object([
            ("predictions", evaluation["n"] ?? .null), ("labeled", evaluation["n_labeled"] ?? .null),
            ("accuracy", evaluation["accuracy"] ?? .null), ("audit", evaluation["audit"] ?? .null),
            ("uncertainty_methods", evaluation["methods"] ?? .null),
        ])
        let statusChanges: [JSONValue] = events.map { event in
            .object([
                ("status", .string(event.status.rawValue)), ("by", .string(event.actor)), ("reason", .string(event.reason)),
                ("at", .string(event.recordedAt.rfc3339)),
            ])
        }
        let limitations = Self.limitations(version, evaluation: evaluation, auditBased: auditBased).map { JSONValue.string($0) }
        return .object([
            ("model", model), ("intended_use", .string(intendedUse)), ("data", data), ("guarantee", guarantee),
            ("performance", performance), ("slices", version.evidence["slices"] ?? .null), ("nota", evaluation["nota"] ?? .null),
            ("limitations", .array(limitations)),
            ("approvals", .object([("status_changes", .array(statusChanges)), ("signatures", .array(signatures.map(\.json)))])),
        ])
    }

    /// The card as Markdown.
    public func renderModelCard(_ card: JSONValue) -> String {
        ModelCardRenderer.markdown(card)
    }

    /// What a reader of the card must know the rule does not cover.
    static func limitations(_ version: CalibrationVersion, evaluation: JSONValue, auditBased: Bool) -> [String] {
        var limits: [String] = []
        if !auditBased {
            limits.append(
                "The guarantee rests on the labels clinicians chose to give (mostly escalated cases), not on a random audit sample: "
                    + "it may not hold for the accepted predictions.")
        }
        if !version.guaranteeMet {
            limits.append("No threshold met risk ≤ α with confidence 1 − δ on the fit data: the rule escalates everything.")
        }
        limits.append(
            "Uncertainty quality tracks the model's accuracy and is weakest where the model is weakest; check the per-slice table "
                + "before relying on the rule for a site or modality.")
        if case .number(let clean)? = evaluation["nota"]?["clean_accuracy"], case .number(let nota)? = evaluation["nota"]?["nota_accuracy"]
        {
            limits.append(
                "When the correct option is hidden behind \"None of the above\", accuracy falls from \(Self.percent(clean)) to "
                    + "\(Self.percent(nota)) while confidence barely moves: the scores do not warn of that failure by themselves.")
        }
        limits.append(
            "The evidence window ends \(version.windowTo.day); later changes in case mix, model version or sites are watched by "
                + "the threshold monitor and drift checks, not by this card.")
        return limits
    }

    private static func percent(_ value: Double) -> String {
        String(format: "%.1f %%", value * 100)
    }
}
