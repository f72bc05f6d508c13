import AuditCore
import AuditStore

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

    /// Activates a version (a rollback when it is an earlier one); the previous active one is retired.
    public func activateCalibration(id: Int64, by actor: String, reason: String) throws {
        try CalibrationStore.activate(migratedConnection(), versionID: id, actor: actor, reason: reason)
    }

    /// Rejects a proposed version.
    public func rejectCalibration(id: Int64, by actor: String, reason: String) throws {
        try CalibrationStore.reject(migratedConnection(), versionID: id, actor: actor, reason: reason)
    }
}

extension CalibrationVersion {
    /// The version as JSON: what `calibration show --json` prints and the HTTP service serves.
    public var json: JSONValue {
        .object([
            ("version", .integer(versionID)), ("model", .string(model)), ("status", .text(status)),
            ("method", .string(method)), ("temperature", .number(temperature)), ("threshold", .number(threshold)),
            ("escalates_everything", .bool(threshold == nil)), ("mode", .string(mode)), ("target_risk", .number(targetRisk)),
            ("delta", .number(delta)), ("coverage", .number(coverage)), ("empirical_risk", .number(empiricalRisk)),
            ("guarantee_met", .bool(guaranteeMet)), ("window_from", .string(windowFrom.rfc3339)), ("window_to", .string(windowTo.rfc3339)),
            ("n_fit", .count(nFit)), ("n_holdout", .count(nHoldout)), ("code_version", .string(codeVersion)),
            ("fitted_by", .string(fittedBy)), ("created_at", .text(createdAt?.rfc3339)),
            ("valid_from", .text(status == "active" ? statusAt?.rfc3339 : nil)),
            ("status_by", .text(statusActor)), ("status_reason", .text(statusReason)), ("evidence", evidence),
        ])
    }

    /// One line for listings.
    public var summaryLine: String {
        let tau = threshold.map { String(format: "%.4f", $0) } ?? "+inf (escalate all)"
        return "\(versionID)\t\(model)\t\(status ?? "?")\tT=\(String(format: "%.4f", temperature))\tτ=\(tau)\t"
            + "coverage=\(String(format: "%.3f", coverage))\tn=\(nFit)+\(nHoldout)\t\(createdAt?.rfc3339.prefix(19) ?? "")"
    }
}
