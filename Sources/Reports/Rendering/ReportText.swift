import AuditCore

extension FleetSummary {
    /// "ρ = 0.85 (95 % CI 0.52–0.96, 12 models)", or why it was not computed.
    public var spearmanText: String {
        guard let spearman else { return "ρ not computed: \(spearmanShortfall)" }
        let interval =
            spearmanInterval.map { " (95 % CI \(Numbers.fixed($0.low, 2))–\(Numbers.fixed($0.high, 2)), \(points.count) models)" }
            ?? " (\(points.count) models)"
        return "ρ = \(Numbers.fixed(spearman, 2))" + interval
    }
}

extension ModelSection {
    /// The escalation cell: the product's rule, and the service's logged flag beside it when both are known.
    public var escalationText: String {
        let rule = Numbers.percent(escalationRate) + (calibrationVersion == nil ? " (no active calibration: all)" : "")
        guard let logged = loggedEscalationRate else { return rule }
        return rule + "; service logged " + Numbers.percent(logged)
    }

    /// The accepted-set error cell, flagged when it exceeds α (a monthly figure on few cases is noisy: the count says
    /// how few).
    public var acceptedErrorText: String {
        guard let error = acceptedErrorRate, let alpha else { return "–" }
        return "\(Numbers.percent(error)) vs \(Numbers.percent(alpha, 0))" + (acceptedCount.map { " (n \($0))" } ?? "")
            + (error > alpha ? " ABOVE α" : "")
    }
}
