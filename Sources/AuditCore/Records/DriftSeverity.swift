/// How serious a drift finding is, and a drift run's status: the most serious of its findings.
public enum DriftSeverity: String, Sendable, CaseIterable, Comparable, Codable {
    case ok = "OK"
    case warn = "WARN"
    case alert = "ALERT"

    /// OK < WARN < ALERT.
    public static func < (lhs: DriftSeverity, rhs: DriftSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The most serious of `severities`; OK when there are none.
    public static func worst(of severities: some Sequence<DriftSeverity>) -> DriftSeverity {
        severities.max() ?? .ok
    }
}
