import AuditApp
import AuditCore
import AuditStore
import Foundation
import Reports
import Testing
import TestSupport

@Suite("monthly report")
struct ReportTests {
    static func fleet(models: Int) throws -> AuditApp {
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "report"))
        try SimulatedFleet.ingest(into: app) { options in
            options.models = models
            options.perModel = 900
            options.months = 2
            options.seed = 5
        }
        var calibration = RecalibrationOptions()
        calibration.asOf = Timestamp.monthBounds("2026-10")!.start
        calibration.minimumFit = 0
        _ = try app.recalibrate(models: nil, options: calibration)
        var drift = DriftOptions()
        let october = Timestamp.monthBounds("2026-10")!
        drift.current = (october.start, october.end)
        drift.resamples = 200
        _ = try app.drift(models: nil, options: drift)
        return app
    }

    @Test("the JSON holds every section and its numbers equal evaluate's for the same window; output is deterministic")
    func structureNumbersDeterminism() throws {
        let app = try Self.fleet(models: 3)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)").path
        let first = try app.writeMonthlyReport(month: "2026-10", outFolder: folder)
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: first.json))), maximumDepth: 64)
        for key in ["month", "integrity", "fleet", "models", "calibration_changes", "drift", "data_quality"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["integrity"]?["intact"] == .bool(true))
        // The report anchors every chain outside the database: the heads verify prints at report time.
        let heads = try app.verify()
        #expect(json["integrity"]?["chain_head"] == .string(try #require(heads.head?.hash)))
        #expect(json["integrity"]?["calibration_head"] == .string(try #require(heads.calibrationHead)))
        #expect(json["integrity"]?["drift_head"] == .string(try #require(heads.driftHead)))
        // And the schema around the records, compared with the migrations.
        #expect(json["integrity"]?["schema"]?["definitions"] == .integer(Int64(heads.schemaDefinitions)) && heads.schemaDefinitions > 150)
        #expect(json["integrity"]?["schema"]?["not_checked"] == .null)
        let markdown = try String(contentsOfFile: first.markdown, encoding: .utf8)
        #expect(
            markdown.contains(
                "Schema: \(heads.schemaDefinitions) definitions (views, triggers, functions, constraints, columns) compared with the migrations; all match."
            ))
        guard case .array(let models)? = json["models"] else { Issue.record("no models"); return }
        #expect(models.count == 3)
        let (start, end) = try #require(Timestamp.monthBounds("2026-10"))
        for model in models {
            let name = try #require(model["model"]?.stringValue)
            let evaluation = try app.evaluate(model: name, from: start, to: end)
            #expect(model["accuracy"]?["value"] == evaluation["accuracy"], "\(name) accuracy")
            #expect(model["labeled"] == evaluation["n_labeled"], "\(name) labeled")
            guard case .array(let methods)? = model["methods"] else { Issue.record("no methods"); continue }
            for method in methods {
                let methodName = try #require(method["method"]?.stringValue)
                #expect(method["auroc"] == evaluation["methods"]?[methodName]?["auroc"], "\(name)/\(methodName) AUROC")
                #expect(method["prr"] == evaluation["methods"]?[methodName]?["prr"], "\(name)/\(methodName) PRR")
                #expect(method["ece_before"] == (evaluation["methods"]?[methodName]?["ece"] ?? .null), "\(name)/\(methodName) ECE")
            }
        }
        guard case .array(let points)? = json["fleet"]?["models"] else { Issue.record("no fleet points"); return }
        #expect(points.count == 3)
        // Three models are too few for ρ (a ρ of 1.00 over three points is easily chance): it is not computed, and said so.
        #expect(json["fleet"]?["spearman_accuracy_auroc"] == .null)
        #expect(
            try String(contentsOfFile: first.markdown, encoding: .utf8).contains(
                "is not computed: 3 models with labels (at least 5 are needed)"))

        let again = try app.writeMonthlyReport(month: "2026-10", outFolder: folder + "-again")
        for (one, two) in [(first.json, again.json), (first.markdown, again.markdown), (first.html, again.html)] {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: one)) == Data(contentsOf: URL(fileURLWithPath: two)), "\(one) is not reproducible"
            )
        }
        let html = try String(contentsOfFile: first.html, encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("<title id=") && !html.contains("http-equiv") && !html.contains("src=\"http"))
        #expect(html.components(separatedBy: "<figcaption>").count - 1 >= 7, "each chart has a text alternative")
    }

    @Test("an empty month and a single-model month render sensibly")
    func emptyAndSingle() throws {
        let app = try Self.fleet(models: 1)
        let empty = try app.monthlyReport(month: "2024-01")
        #expect(empty.models.isEmpty && empty.fleet.predictions == 0 && empty.fleet.spearman == nil)
        let markdown = MarkdownRenderer.render(empty)
        #expect(markdown.contains("No NOTA probes were logged this month") && markdown.contains("No record was quarantined"))
        #expect(HTMLRenderer.render(empty).contains("</html>"))
        let single = try app.monthlyReport(month: "2026-10")
        #expect(single.models.count == 1 && single.fleet.spearman == nil)
        #expect(single.models[0].nota != nil, "the simulated fleet logs NOTA probes")
        #expect(MarkdownRenderer.render(single).contains("## 4. NOTA stress tests"))
    }

    @Test("a monitor alarm is named first, its model's verdict says the rule in force, and section 6 draws it")
    func monitorAlarmRenders() throws {
        var report = try Self.fleet(models: 1).monthlyReport(month: "2026-10")
        var monitor = MonitorSection(model: report.models[0].model, version: 7, threshold: 0.9, alpha: 0.1, delta: 0.05)
        monitor.alarmReason = "the accepted-set error of version 7 on site = site-c exceeds α = 0.1"
        monitor.observations = 120
        monitor.errors = 30
        monitor.trajectory = (1...120).map { t in
            MonitorPoint(t: t, logEValue: Double(t) / 30, errorRate: 0.25, lowerBound: min(0.2, Double(t) / 600))
        }
        monitor.alarmPositions = [90]
        monitor.slices = [
            MonitorSliceRow(
                attribute: "site", value: "site-c", threshold: 0.9, coverage: 0.5, observations: 40,
                errors: 20, logEValue: 8, delta: 0.05 / 3, alarm: true)
        ]
        report.monitors = [monitor]
        let markdown = MarkdownRenderer.render(report)
        let summary = try #require(markdown.components(separatedBy: "## 2.").first)
        #expect(summary.contains("**MONITOR ALARM — \(monitor.model) escalates everything**"))
        #expect(markdown.contains("## 6. Threshold monitor") && markdown.contains("| site = site-c | 0.9000 | 50.0 % | 40 | 20 |"))
        let html = HTMLRenderer.render(report)
        #expect(html.contains("MONITOR ALARM — \(monitor.model)"))
        #expect(html.contains("1/δ = 20") && html.contains("α = 10 %") && html.contains(">alarm</text>"))
        #expect(html.contains("E-value M (log scale)") && html.contains("lower bound (1 − δ, anytime)"))
        // Under a per-site table a modality slice meets several τ; a site without one escalates.
        report.monitors[0].perSliceAttribute = "site"
        report.monitors[0].slices += [
            MonitorSliceRow(
                attribute: "modality", value: "MR", threshold: nil, coverage: 0.4, observations: 10, errors: 1, logEValue: 0,
                delta: 0.05 / 3, alarm: false),
            MonitorSliceRow(
                attribute: "site", value: "site-d", threshold: nil, coverage: 0, observations: 0, errors: 0, logEValue: 0,
                delta: 0.05 / 3, alarm: false),
        ]
        let perSlice = MarkdownRenderer.render(report)
        #expect(perSlice.contains("| modality = MR | per site |") && perSlice.contains("| site = site-d | +∞ |"))
        let json = report.json
        guard case .array(let monitors)? = json["monitors"] else { Issue.record("no monitors in report.json"); return }
        #expect(monitors.first?["alarm"] == .bool(true) && monitors.first?["t"] == .integer(120))
    }
}
