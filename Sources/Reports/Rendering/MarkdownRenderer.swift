import AuditCore
/// The report as Markdown, for review and diffing.
public enum MarkdownRenderer {
    /// Renders `report`; the same report gives the same bytes.
    public static func render(_ report: MonthlyReport) -> String {
        var out: [String] = []
        out.append("# Monthly clinical AI safety report — \(report.month)")
        out.append("")
        out.append(
            "Integrity: \(report.integrityComplete ? report.integrityVerdict : "**" + report.integrityVerdict + "**"). "
                + "Chain head `\(report.chainHead ?? "none")` (batch \(report.chainHeadBatch.map(String.init) ?? "–"), \(report.chainHeadTime ?? "–")). "
                + "Keep this page: the hash anchors the log's history outside the database.")
        out.append("")
        out.append("## 1. Summary")
        out.append("")
        out.append(
            "\(report.models.count) models, \(report.fleet.predictions) predictions this month, \(report.fleet.labeled) with clinician ground truth, "
                + "\(report.fleet.probes) NOTA stress probes.")
        out.append("")
        for monitor in report.monitors where monitor.isAlarmed {
            out.append("**MONITOR ALARM — \(monitor.model) escalates everything**: \(monitor.alarmReason ?? "")")
            out.append("")
        }
        out.append(
            "| model | predictions | labeled | label delay (d) | naive accuracy: every label (95 % CI) | escalated by the product's rule | accepted-set error vs α | missed errors | drift |"
        )
        out.append("|---|---:|---:|---:|---|---:|---|---:|---|")
        for model in report.models {
            let ci =
                model.accuracy == nil
                ? "–"
                : "\(Numbers.percent(model.accuracy)) (\(Numbers.percent(model.accuracyLower))–\(Numbers.percent(model.accuracyUpper)))"
            out.append(
                "| \(model.model) | \(model.predictions) | \(model.labeled) | \(Numbers.fixed(model.medianLabelDelayDays, 1)) | \(ci) | "
                    + "\(model.escalationText) | \(model.acceptedErrorText) | \(model.missedErrors.map(String.init) ?? "–") | \(model.driftStatus?.rawValue ?? "–") |"
            )
        }
        out.append("")
        for model in report.models { out.append("- **\(model.model)**: \(model.verdict)") }
        out.append("")
        out.append("### Which accuracy to trust")
        out.append("")
        let auditRows = AuditAccuracyTable.rows(report)
        if auditRows.isEmpty {
            out.append(AuditAccuracyTable.noAudit)
        } else {
            out.append(AuditAccuracyTable.explanation)
            out.append("")
            out.append("| " + AuditAccuracyTable.header.joined(separator: " | ") + " |")
            out.append("|---|" + String(repeating: "---:|", count: AuditAccuracyTable.header.count - 2) + "---|")
            for row in auditRows { out.append("| " + row.joined(separator: " | ") + " |") }
        }
        out.append("")
        out.append("## 2. Uncertainty quality")
        out.append("")
        for model in report.models {
            out.append("### \(model.model)")
            out.append("")
            let calibration =
                model.calibrationVersion.map { version in
                    "Active calibration version \(version): T = \(Numbers.fixed(model.temperature)), "
                        + (model.threshold.map { "accept when calibrated msp ≥ \(Numbers.fixed($0, 4))" }
                            ?? "no threshold meets the guarantee: escalate everything")
                } ?? "No active calibration: raw scores, escalate everything"
            out.append(calibration + ".")
            out.append("")
            guard !model.methods.isEmpty else {
                out += [noMethodQuality, ""]
                continue
            }
            out.append("| method | orientation | n | AUROC | AUPRC-error | AURC | PRR | ECE before | ECE after |")
            out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
            for row in model.methods {
                out.append(
                    "| \(row.method) | \(row.orientation) | \(row.n) | \(Numbers.fixed(row.auroc)) | \(Numbers.fixed(row.auprcError)) | "
                        + "\(Numbers.fixed(row.aurc)) | \(Numbers.fixed(row.prr)) | \(Numbers.fixed(row.eceBefore)) | \(Numbers.fixed(row.eceAfter)) |"
                )
            }
            out.append("")
        }
        out.append("## 3. Where uncertainty is least reliable")
        out.append("")
        out.append(
            report.fleet.spearman == nil
                ? "Fleet: Spearman's ρ between model accuracy and msp AUROC (uncertainty quality tracks accuracy; it is weakest where the "
                    + "model is weakest) is not computed: \(report.fleet.spearmanShortfall)."
                : "Fleet: Spearman's \(report.fleet.spearmanText) between model accuracy and msp AUROC "
                    + "(uncertainty quality tracks accuracy; it is weakest where the model is weakest).")
        out.append("")
        for model in report.models {
            let flagged = model.slices.filter(\.flagged)
            out.append(
                "- **\(model.model)**: "
                    + (flagged.isEmpty
                        ? "no slice flagged."
                        : "flagged (accuracy below the model's, AUROC weak): "
                            + flagged.map {
                                "\($0.attribute)=\($0.value) (n \($0.n), accuracy \(Numbers.percent($0.accuracy)), AUROC \(Numbers.fixed($0.auroc)))"
                            }.joined(separator: "; ") + "."))
        }
        out.append("")
        out.append("## 4. NOTA stress tests")
        out.append("")
        let bases = Set(report.models.filter { $0.nota != nil }.map(\.findingsBasis))
        if !bases.isEmpty {
            out.append(
                bases == ["audit sample"]
                    ? "Pairs whose clean prediction is in the labeled audit sample (a random sample: unbiased)."
                    : "Pairs whose clean prediction has a clinician label; where no audit plan runs, those labels lean towards escalated cases."
            )
            out.append("")
        }
        let withProbes = report.models.filter { $0.nota != nil }
        if withProbes.isEmpty {
            out.append(
                "No NOTA probes were logged this month. To log one, hide the correct option behind \"None of the above\" and send the prediction "
                    + "with `\"perturbation\": {\"kind\": \"nota\", \"of\": \"<clean prediction_id>\"}` and its known `label`.")
        } else {
            out.append(
                "| model | pairs | clean accuracy | NOTA accuracy | collapses | msp clean → NOTA | calibration gap under NOTA | ECE under NOTA | fragility AUROC (msp) | fragile live predictions |"
            )
            out.append("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
            for model in withProbes {
                let nota = model.nota!
                let msp = nota.msp
                out.append(
                    "| \(model.model) | \(nota.pairs) | \(Numbers.percent(nota.cleanAccuracy)) | \(Numbers.percent(nota.notaAccuracy)) | \(nota.collapses) | "
                        + "\(Numbers.fixed(msp?.meanClean)) → \(Numbers.fixed(msp?.meanNota)) | \(Numbers.fixed(msp?.gap)) | \(Numbers.fixed(msp?.eceNota)) | "
                        + "\(Numbers.fixed(msp?.fragility)) | \(nota.fragileLive) |")
            }
        }
        out.append("")
        out.append("## 5. Calibration changes")
        out.append("")
        if report.calibrationChanges.isEmpty {
            out.append("No calibration version changed status this month.")
        } else {
            out.append("| version | model | status | by | reason | at | T | τ |")
            out.append("|---:|---|---|---|---|---|---:|---:|")
            for change in report.calibrationChanges {
                out.append(
                    "| \(change.version) | \(change.model) | \(change.status.rawValue) | \(change.actor) | \(change.reason) | \(change.at) | "
                        + "\(Numbers.fixed(change.temperature)) | \(change.threshold.map { Numbers.fixed($0, 4) } ?? "+∞") |")
            }
        }
        out.append("")
        out.append("## 6. Threshold monitor")
        out.append("")
        if report.monitors.isEmpty {
            out.append("No model has an active calibration version: nothing is accepted without review, nothing to monitor.")
        } else {
            out.append(MonitorSection.explanation)
            out.append("")
            out.append(markdownTable(MonitorSection.header, report.monitors.map(\.row)))
            for monitor in report.monitors where !monitor.slices.isEmpty {
                out.append("")
                out.append("### \(monitor.model): slices")
                out.append("")
                out.append(markdownTable(MonitorSection.sliceHeader, monitor.sliceRows))
            }
        }
        out.append("")
        out.append("## 7. Drift findings")
        out.append("")
        if report.driftRuns.isEmpty { out.append("No drift check was run this month.") }
        for run in report.driftRuns {
            out.append("- **\(run.model)**: \(run.status.rawValue)" + (run.findings.isEmpty ? "" : ""))
            for finding in run.findings {
                out.append("  - \(finding.severity.rawValue): \(finding.message)" + (finding.action.map { " → \($0)" } ?? ""))
            }
        }
        out.append("")
        out.append("## 8. Data quality")
        out.append("")
        if report.dataQuality.quarantinedByReason.isEmpty {
            out.append("No record was quarantined this month.")
        } else {
            out.append("| field | quarantined | example reason |")
            out.append("|---|---:|---|")
            for reason in report.dataQuality.quarantinedByReason { out.append("| \(reason.field) | \(reason.count) | \(reason.example) |") }
        }
        out.append("")
        out.append(
            "Labels for unknown predictions: \(report.dataQuality.unknownPredictionLabels). Late labels (recorded > 30 days after the prediction): \(report.dataQuality.lateLabels)."
        )
        out.append("")
        out.append("## 9. Integrity")
        out.append("")
        out.append(
            !report.integrityIntact
                ? "`vlm-audit verify`: BROKEN — " + report.integrityProblems.prefix(5).joined(separator: "; ")
                : (report.integrityComplete
                    ? "`vlm-audit verify`: intact." : "`vlm-audit verify`: PARTIALLY verified (schema not compared)."))
        out.append("")
        out.append(
            "Chain head: `\(report.chainHead ?? "none")`; calibration chain head: `\(report.calibrationHead ?? "none")`; "
                + "drift chain head: `\(report.driftHead ?? "none")`" + (report.monitorHead.map { "; monitor chain head: `\($0)`" } ?? "")
                + (report.checkpointHead.map { "; checkpoint chain head: `\($0)`" } ?? "")
                + (report.accessHead.map { "; access log chain head: `\($0)`" } ?? ""))
        out.append("")
        out.append(report.verifiedRangeSentence)
        out.append("")
        out.append(report.schemaSentence)
        out.append("")
        out.append("## 10. Access")
        out.append("")
        if let access = report.access {
            out.append(access.summarySentence + " " + access.newActorsSentence)
            out.append("")
            out.append(access.bulkSentence)
            out.append("")
            if !access.counts.isEmpty {
                out.append(Self.markdownTable(AccessSection.tableHeader, access.tableRows))
                out.append("")
            }
        } else {
            out.append("The access log was not read for this report.")
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    /// A Markdown table: a header row, its separator, and the rows (pipes inside cells escaped).
    static func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        return ([line(header), "|" + String(repeating: "---|", count: header.count)] + rows.map(line)).joined(separator: "\n")
    }
}
