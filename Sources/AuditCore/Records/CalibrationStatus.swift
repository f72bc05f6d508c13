/// Where a calibration version stands, as its newest status event says (docs/calibration.md).
public enum CalibrationStatus: String, Sendable, CaseIterable, Codable {
    /// Stored, not served: a person may activate or reject it.
    case proposed
    /// Served to the deployed service; at most one per model.
    case active
    /// Refused by a person; it cannot be activated any more.
    case rejected
    /// Was active and was superseded (or rolled back).
    case retired
}
