import AuditCore
import Foundation

/// The report as one self-contained HTML page: inline CSS and SVG, no external assets, prints well.
public enum HTMLRenderer {
    /// Renders `report`.
    public static func render(_ report: MonthlyReport) -> String {
        var body = ""
        body += "<header><h1>Monthly clinical AI safety report — \(HTML.escape(report.month))</h1>"
        body += "<p class=\"\(report.integrityComplete ? "ok" : "alert")\">Integrity: \(HTML.escape(report.integrityVerdict)). "
        body +=
            "Chain head <code>\(HTML.escape(report.chainHead ?? "none"))</code> (batch \(report.chainHeadBatch.map(String.init) ?? "–"), \(HTML.escape(report.chainHeadTime ?? "–"))).</p></header>"

        body += "<section><h2>1. Summary</h2>"
        for monitor in report.monitors where monitor.isAlarmed {
            body +=
                "<p class=\"alert\">MONITOR ALARM — \(HTML.escape(monitor.model)) escalates everything: \(HTML.escape(monitor.alarmReason ?? ""))</p>"
        }
        body +=
            "<p>\(report.models.count) models, \(report.fleet.predictions) predictions, \(report.fleet.labeled) with clinician ground truth, \(report.fleet.probes) NOTA stress probes.</p>"
        body += table(
            [
                "model", "predictions", "labeled", "label delay (d)", "naive accuracy: every label (95 % CI)",
                "escalated by the product's rule", "accepted-set error vs α", "missed errors", "drift",
            ],
            report.models.map { model in
                [
                    model.model, String(model.predictions), String(model.labeled), Numbers.fixed(model.medianLabelDelayDays, 1),
                    model.accuracy == nil
                        ? "–"
                        : "\(Numbers.percent(model.accuracy)) (\(Numbers.percent(model.accuracyLower))–\(Numbers.percent(model.accuracyUpper)))",
                    model.escalationText, model.acceptedErrorText,
                    model.missedErrors.map(String.init) ?? "–", badge(model.driftStatus?.rawValue),
                ]
            }, rawColumns: [8])
        body +=
            "<ul class=\"verdicts\">"
            + report.models.map { "<li><strong>\(HTML.escape($0.model))</strong>: \(HTML.escape($0.verdict))</li>" }.joined() + "</ul>"
        body += "<h3>Which accuracy to trust</h3>"
        let auditRows = AuditAccuracyTable.rows(report)
        if auditRows.isEmpty {
            body += "<p class=\"alert\">\(HTML.escape(AuditAccuracyTable.noAudit))</p>"
        } else {
            body += "<p>\(HTML.escape(AuditAccuracyTable.explanation))</p>" + table(AuditAccuracyTable.header, auditRows)
        }
        body += "</section>"

        body += "<section><h2>2. Uncertainty quality</h2>"
        for (index, model) in report.models.enumerated() {
            body += "<article><h3>\(HTML.escape(model.model))</h3>"
            guard !model.methods.isEmpty else {
                body += "<p>\(HTML.escape(noMethodQuality))</p></article>"  // no labels: no table, no empty charts
                continue
            }
            body += table(
                ["method", "orientation", "n", "AUROC", "AUPRC-error", "AURC", "PRR", "ECE before", "ECE after"],
                model.methods.map {
                    [
                        $0.method, $0.orientation, String($0.n), Numbers.fixed($0.auroc), Numbers.fixed($0.auprcError),
                        Numbers.fixed($0.aurc), Numbers.fixed($0.prr), Numbers.fixed($0.eceBefore), Numbers.fixed($0.eceAfter),
                    ]
                })
            let reliabilityText =
                "Reliability of msp, before calibration: "
                + model.reliabilityBefore.map {
                    "confidence \(Numbers.fixed($0.confidence, 2)) → accuracy \(Numbers.fixed($0.accuracy, 2)) (n \($0.n))"
                }.joined(separator: "; ")
            body +=
                "<div class=\"charts\"><figure>"
                + SVGCharts.unitChart(
                    id: "rel-\(index)", title: "Reliability of msp", description: reliabilityText, xLabel: "mean confidence (msp)",
                    yLabel: "accuracy",
                    series: [
                        SVGCharts.Series(
                            name: "before (T = 1)", color: "#b4542a", points: model.reliabilityBefore.map { ($0.confidence, $0.accuracy) },
                            line: true),
                        SVGCharts.Series(
                            name: "after (T = \(Numbers.fixed(model.temperature, 2)))", color: "#2a6fb4",
                            points: model.reliabilityAfter.map { ($0.confidence, $0.accuracy) }, line: true),
                    ],
                    diagonal: true)
                + "<figcaption>Accuracy against confidence per bin: on the dashed diagonal the scores are calibrated; below it the "
                + "model is overconfident.</figcaption></figure>"
            let curveText =
                "Risk–coverage of msp: "
                + model.riskCoverage.map { "coverage \(Numbers.fixed($0.x, 2)) → risk \(Numbers.fixed($0.y, 2))" }.joined(separator: "; ")
            let tauMarker = model.acceptedCoverage.flatMap { coverage in
                model.acceptedErrorRate.map { SVGCharts.Marker(x: coverage, y: $0, label: "τ = \(Numbers.fixed(model.threshold, 3))") }
            }
            body +=
                "<figure>"
                + SVGCharts.unitChart(
                    id: "rc-\(index)", title: "Risk–coverage (msp)", description: curveText, xLabel: "coverage (share accepted)",
                    yLabel: "error rate among accepted",
                    series: [SVGCharts.Series(name: "", color: "#2a6fb4", points: model.riskCoverage.map { ($0.x, $0.y) }, line: true)],
                    reference: model.alpha.map { SVGCharts.ReferenceLine(y: $0, label: "α = \(Numbers.percent($0, 0))") }, marker: tauMarker
                )
                + "<figcaption>The error rate among accepted answers as more are accepted (labeled predictions of the month)"
                + (model.alpha == nil ? "." : "; dashed: the guaranteed α")
                + (tauMarker == nil ? "" : "; dot: the active threshold τ, where the deployed rule stands.")
                + "</figcaption></figure></div></article>"
        }
        body += "</section>"

        body += "<section><h2>3. Where uncertainty is least reliable</h2>"
        let scatterText =
            "Accuracy against msp AUROC per model; Spearman's \(report.fleet.spearmanText). "
            + report.fleet.points.map { "\($0.model): accuracy \(Numbers.fixed($0.accuracy, 2)), AUROC \(Numbers.fixed($0.auroc, 2))" }
            .joined(separator: "; ")
        body +=
            "<figure>"
            + SVGCharts.unitChart(
                // With too few models for ρ the reason goes to the caption: the title must fit its chart.
                id: "fleet",
                title: report.fleet.spearman == nil
                    ? "UE quality against accuracy, per model" : "UE quality tracks accuracy: \(report.fleet.spearmanText)",
                description: scatterText,
                xLabel: "model accuracy", yLabel: "msp AUROC",
                series: [
                    SVGCharts.Series(
                        name: "", color: "#2a6fb4", points: report.fleet.points.map { ($0.accuracy, $0.auroc) }, line: false,
                        labels: report.fleet.points.map { String($0.model.prefix(10)) })
                ])
            + "<figcaption>" + (report.fleet.spearman == nil ? "Spearman's \(HTML.escape(report.fleet.spearmanText)). " : "")
            + "One point per model: accuracy and msp AUROC"
            + (report.models.contains { $0.audit != nil } ? " on the audit sample." : " over every label.") + "</figcaption></figure>"
        for model in report.models {
            let flagged = model.slices.filter(\.flagged)
            guard !flagged.isEmpty else { continue }
            body += "<h4>\(HTML.escape(model.model))</h4>"
            body += table(
                ["slice", "n", "accuracy", "msp AUROC"],
                flagged.map { ["\($0.attribute) = \($0.value)", String($0.n), Numbers.percent($0.accuracy), Numbers.fixed($0.auroc)] })
        }
        body += "</section>"

        body += "<section><h2>4. NOTA stress tests</h2>"
        let withProbes = report.models.filter { $0.nota != nil }
        if withProbes.isEmpty {
            body +=
                "<p>No NOTA probes this month. Log one by hiding the correct option behind \"None of the above\" and sending it with "
                + "<code>\"perturbation\": {\"kind\": \"nota\", \"of\": \"&lt;clean prediction_id&gt;\"}</code> and its known <code>label</code>.</p>"
        } else {
            let notaText = withProbes.map { model -> String in
                let nota = model.nota!
                let msp = nota.msp
                let accuracyText =
                    "accuracy \(Numbers.percent(nota.cleanAccuracy)) clean vs \(Numbers.percent(nota.notaAccuracy)) under NOTA"
                let confidenceText = "mean msp \(Numbers.fixed(msp?.meanClean, 2)) vs \(Numbers.fixed(msp?.meanNota, 2))"
                return "\(model.model): \(accuracyText); \(confidenceText)"
            }.joined(separator: "; ")
            body +=
                "<figure>"
                + SVGCharts.groupedBars(
                    id: "nota", title: "Under NOTA accuracy collapses, confidence barely moves", description: notaText, yLabel: "share",
                    categories: withProbes.map(\.model),
                    series: [
                        ("clean accuracy", "#2a6fb4", withProbes.map { $0.nota!.cleanAccuracy }),
                        ("NOTA accuracy", "#b4542a", withProbes.map { $0.nota!.notaAccuracy }),
                        ("mean msp clean", "#7fa7d4", withProbes.map { model in model.nota!.msp?.meanClean }),
                        ("mean msp NOTA", "#e0a080", withProbes.map { model in model.nota!.msp?.meanNota }),
                    ])
                + "<figcaption>Per model: accuracy clean and under NOTA, and mean msp clean and under NOTA.</figcaption></figure>"
            body += table(
                [
                    "model", "pairs", "clean acc.", "NOTA acc.", "collapses", "gap under NOTA", "ECE under NOTA", "fragility AUROC (msp)",
                    "fragile live",
                ],
                withProbes.map { model in
                    let nota = model.nota!
                    let msp = nota.msp
                    return [
                        model.model, String(nota.pairs), Numbers.percent(nota.cleanAccuracy), Numbers.percent(nota.notaAccuracy),
                        String(nota.collapses),
                        Numbers.fixed(msp?.gap), Numbers.fixed(msp?.eceNota), Numbers.fixed(msp?.fragility), String(nota.fragileLive),
                    ]
                })
        }
        body += "</section>"

        body += "<section><h2>5. Calibration changes</h2>"
        body +=
            report.calibrationChanges.isEmpty
            ? "<p>No calibration version changed status this month.</p>"
            : table(
                ["version", "model", "status", "by", "reason", "at", "T", "τ"],
                report.calibrationChanges.map {
                    [
                        String($0.version), $0.model, $0.status.rawValue, $0.actor, $0.reason, $0.at, Numbers.fixed($0.temperature),
                        $0.threshold.map { Numbers.fixed($0, 4) } ?? "+∞",
                    ]
                })
        body += "</section>"

        body += monitorSection(report)

        body += "<section><h2>7. Drift findings</h2>"
        if report.driftRuns.isEmpty {
            body += "<p>No drift check this month.</p>"
        } else {
            body += "<ul>"
            for run in report.driftRuns {
                body += "<li><strong>\(HTML.escape(run.model))</strong> \(badge(run.status.rawValue))"
                if !run.findings.isEmpty {
                    body += "<ul>"
                    for finding in run.findings {
                        let action = finding.action.map { " → <em>\(HTML.escape($0))</em>" } ?? ""
                        body += "<li>\(badge(finding.severity.rawValue)) \(HTML.escape(finding.message))\(action)</li>"
                    }
                    body += "</ul>"
                }
                body += "</li>"
            }
            body += "</ul>"
        }
        body += "</section>"

        body += "<section><h2>8. Data quality</h2>"
        body +=
            report.dataQuality.quarantinedByReason.isEmpty
            ? "<p>No record was quarantined this month.</p>"
            : table(
                ["field", "quarantined", "example reason"],
                report.dataQuality.quarantinedByReason.map { [$0.field, String($0.count), $0.example] })
        body +=
            "<p>Labels for unknown predictions: \(report.dataQuality.unknownPredictionLabels). Late labels (recorded &gt; 30 days after the prediction): \(report.dataQuality.lateLabels).</p></section>"

        let verifyLine =
            !report.integrityIntact
            ? "BROKEN — " + HTML.escape(report.integrityProblems.prefix(5).joined(separator: "; "))
            : (report.integrityComplete ? "intact." : "PARTIALLY verified (schema not compared).")
        body += "<section><h2>9. Integrity</h2><p><code>vlm-audit verify</code>: \(verifyLine)</p>"
        body +=
            "<p>Chain head: <code>\(HTML.escape(report.chainHead ?? "none"))</code>; calibration chain head: "
            + "<code>\(HTML.escape(report.calibrationHead ?? "none"))</code>; drift chain head: <code>\(HTML.escape(report.driftHead ?? "none"))</code>"
            + (report.monitorHead.map { "; monitor chain head: <code>\(HTML.escape($0))</code>" } ?? "")
            + (report.checkpointHead.map { "; checkpoint chain head: <code>\(HTML.escape($0))</code>" } ?? "")
            + (report.accessHead.map { "; access log chain head: <code>\(HTML.escape($0))</code>" } ?? "") + "</p>"
            + "<p>\(HTML.escape(report.verifiedRangeSentence))</p>"
            + "<p>\(HTML.escape(report.schemaSentence))</p></section>"
        body += "<section><h2>10. Access</h2>"
        if let access = report.access {
            body += "<p>\(HTML.escape(access.summarySentence + " " + access.newActorsSentence))</p>"
            body += "<p class=\"\(access.offHoursBulk.isEmpty ? "ok" : "alert")\">\(HTML.escape(access.bulkSentence))</p>"
            if !access.counts.isEmpty { body += table(AccessSection.tableHeader, access.tableRows) }
        } else {
            body += "<p>The access log was not read for this report.</p>"
        }
        body += "</section>"

        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>vlm-audit — safety report \(HTML.escape(report.month))</title>
            <style>\(css)</style></head>
            <body>\(body)<footer>Generated by vlm-audit. Definitions of every number: docs/statistics.md.</footer></body></html>

            """
    }

    /// Section 6: the state table, and per model the e-value on a log scale with 1/δ and the alarms, the accepted-set error
    /// with its anytime-valid lower bound and α, and the slice table.
    private static func monitorSection(_ report: MonthlyReport) -> String {
        var body = "<section><h2>6. Threshold monitor</h2>"
        guard !report.monitors.isEmpty else {
            return body
                + "<p>No model has an active calibration version: nothing is accepted without review, nothing to monitor.</p></section>"
        }
        body += "<p>\(HTML.escape(MonitorSection.explanation))</p>" + table(MonitorSection.header, report.monitors.map(\.row))
        for (index, monitor) in report.monitors.enumerated() where !monitor.trajectory.isEmpty {
            let last = monitor.trajectory.last!
            let xMax = Double(last.t)
            let maxValue = monitor.trajectory.map(\.logEValue).max() ?? 0
            let yHigh = pow(10, min(12, max(3, (max(maxValue, log(1 / monitor.delta)) / log(10) + 1).rounded(.up))))
            let alarms = monitor.alarmPositions.map { (x: Double($0), label: "alarm") }
            let eText =
                "E-value of the whole-model monitor after each accepted audited label: "
                + monitor.trajectory.map {
                    "t \($0.t): \(MonitorSection.eValueText($0.logEValue))"
                }.joined(separator: "; ")
            body += "<article><h3>\(HTML.escape(monitor.model)) (version \(monitor.version))</h3><div class=\"charts\"><figure>"
            body += SVGCharts.lineChart(
                id: "mon-e-\(index)", title: "E-value M (log scale)", description: eText, xLabel: "accepted audited labels (t)",
                yLabel: "e-value M", xMax: xMax, yRange: 1e-3...yHigh, logY: true,
                series: [
                    SVGCharts.Series(
                        name: "", color: "#2a6fb4", points: monitor.trajectory.map { (Double($0.t), MonitorSection.eValue($0.logEValue)) },
                        line: true)
                ],
                references: [SVGCharts.ReferenceLine(y: 1 / monitor.delta, label: "1/δ = \(Numbers.fixed(1 / monitor.delta, 0))")],
                verticals: alarms)
            body +=
                "<figcaption>The evidence that the accepted-set error exceeds α, after each label; at the dashed line the model "
                + "escalates everything. Alarm lines: where the whole model or one of its slices alarmed.</figcaption></figure><figure>"
            let yMax = min(1, max(0.25, (monitor.trajectory.map(\.errorRate).max() ?? 0) * 1.2))
            let errorText =
                "Accepted-set error after each label and its anytime-valid lower bound: "
                + monitor.trajectory.map {
                    "t \($0.t): \(Numbers.percent($0.errorRate)) (≥ \(Numbers.percent($0.lowerBound)))"
                }.joined(separator: "; ")
            body += SVGCharts.lineChart(
                id: "mon-r-\(index)", title: "Accepted-set error", description: errorText, xLabel: "accepted audited labels (t)",
                yLabel: "error among accepted", xMax: xMax, yRange: 0...yMax, logY: false,
                series: [
                    SVGCharts.Series(
                        name: "error so far", color: "#b4542a", points: monitor.trajectory.map { (Double($0.t), $0.errorRate) }, line: true),
                    SVGCharts.Series(
                        name: "lower bound (1 − δ, anytime)", color: "#2a6fb4",
                        points: monitor.trajectory.map { (Double($0.t), $0.lowerBound) }, line: true),
                ],
                references: [SVGCharts.ReferenceLine(y: monitor.alpha, label: "α = \(Numbers.percent(monitor.alpha, 0))")],
                verticals: alarms)
            body +=
                "<figcaption>The error among accepted audited predictions so far, and a lower bound that holds at every t at "
                + "once: once it passes α, the error truly exceeds α (with probability 1 − δ).</figcaption></figure></div>"
            if !monitor.slices.isEmpty { body += table(MonitorSection.sliceHeader, monitor.sliceRows) }
            body += "</article>"
        }
        return body + "</section>"
    }

    private static func badge(_ status: String?) -> String {
        guard let status else { return "–" }
        return "<span class=\"badge \(status.lowercased())\">\(HTML.escape(status))</span>"
    }

    private static func table(_ header: [String], _ rows: [[String]], rawColumns: Set<Int> = []) -> String {
        var html = "<table><thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html +=
                "<tr>"
                + row.enumerated().map { "<td>\(rawColumns.contains($0.offset) ? $0.element : HTML.escape($0.element))</td>" }.joined()
                + "</tr>"
        }
        return html + "</tbody></table>"
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;line-height:1.45;padding:0 1rem}
        h1{font-size:1.6rem;margin-bottom:.3rem}h2{border-bottom:2px solid #d8dde6;padding-bottom:.2rem;margin-top:2rem}h3{margin-bottom:.3rem}
        table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem;width:100%}th,td{border:1px solid #d8dde6;padding:.25rem .45rem;text-align:left}
        th{background:#f1f4f8}tbody tr:nth-child(even){background:#fafbfd}code{font-size:.8rem;word-break:break-all}
        .ok{color:#1b6e3a}.alert{color:#a11d1d;font-weight:bold}.badge{padding:.05rem .4rem;border-radius:.3rem;font-size:.75rem;font-weight:600}
        .badge.ok{background:#dff3e5;color:#1b6e3a}.badge.warn{background:#fff1cf;color:#7a5600}.badge.alert{background:#fbe0e0;color:#a11d1d}
        .charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:.5rem 0;max-width:100%}figcaption{font-size:.72rem;color:#55607a;max-width:480px}
        .chart{width:480px;max-width:100%;height:auto;font-family:inherit}.chart.wide{width:100%;max-width:980px}
        .chart .reference{stroke:#a11d1d;stroke-dasharray:6 3;stroke-width:1.5}.chart .marker{fill:#a11d1d;stroke:#fff;stroke-width:1.5}
        .chart .grid{stroke:#e6e9ef;stroke-width:1}.chart .frame{fill:none;stroke:#8a93a6}.chart .diagonal{stroke:#999;stroke-dasharray:4 3}
        .chart .tick{font-size:9px;fill:#55607a}.chart .axis{font-size:10px;fill:#1d2330}.chart .chart-title{font-size:11px;font-weight:600;fill:#1d2330}
        .chart .legend{font-size:9px;fill:#1d2330}.chart .point-label{font-size:8px;fill:#55607a}
        footer{margin-top:2rem;font-size:.75rem;color:#55607a}
        @media print{body{margin:0;max-width:none}section{break-inside:avoid-page}article{break-inside:avoid}.charts{break-inside:avoid}}
        """
}
