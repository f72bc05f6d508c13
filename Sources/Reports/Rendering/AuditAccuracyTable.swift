import AuditCore
/// The "which accuracy to trust" table, shared by the Markdown and HTML renderers (docs/audit.md).
enum AuditAccuracyTable {
    static let header = [
        "model", "naive (every label)", "audit sample (95 % CI)", "prediction-powered (95 % CI)", "audit rate",
        "audit labels", "completion", "selection gap", "flags",
    ]

    static let explanation =
        "Trust the prediction-powered figure: it rests on the audit sample, a uniform random sample of every "
        + "prediction that clinicians review whatever the model's confidence, corrected with all predictions' calibrated confidence. "
        + "The naive figure counts whatever got labeled, mostly the escalated (low-confidence) cases, and is biased by it."

    static let noAudit =
        "No audit plan covers this month: every figure in this report rests on whatever got labeled, which "
        + "clinicians choose mostly among escalated cases. Start one with `vlm-audit audit plan create --model M --rate 0.1`."

    /// One row per model with an audit sample.
    static func rows(_ report: MonthlyReport) -> [[String]] {
        report.models.compactMap { model in
            guard let audit = model.audit else { return nil }
            var flags: [String] = []
            if audit.selectionFlag { flags.append("naive outside the audit interval") }
            if audit.completionLow { flags.append("completion below 90 %") }
            return [
                model.model, Numbers.percent(audit.naiveAccuracy),
                audit.accuracy == nil
                    ? "–"
                    : "\(Numbers.percent(audit.accuracy)) (\(Numbers.percent(audit.accuracyLower))–\(Numbers.percent(audit.accuracyUpper)))",
                audit.ppiEstimate == nil
                    ? "–" : "\(Numbers.percent(audit.ppiEstimate)) (\(Numbers.percent(audit.ppiLower))–\(Numbers.percent(audit.ppiUpper)))",
                Numbers.percent(audit.rate, 0), "\(audit.labeled) of \(audit.members)", Numbers.percent(audit.completion),
                audit.selectionGap.map { ($0 >= 0 ? "+" : "−") + Numbers.fixed(abs($0) * 100, 1) + " pts" } ?? "–",
                flags.isEmpty ? "–" : flags.joined(separator: "; "),
            ]
        }
    }
}
