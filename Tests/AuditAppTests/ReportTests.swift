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
        #expect(markdown.contains("Schema: \(heads.schemaDefinitions) definitions (views, triggers, functions, constraints, columns) compared with the migrations; all match."))
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
        #expect(try String(contentsOfFile: first.markdown, encoding: .utf8).contains("ρ not computed: 3 models with labels (at least 5 are needed)"))

        let again = try app.writeMonthlyReport(month: "2026-10", outFolder: folder + "-again")
        for (one, two) in [(first.json, again.json), (first.markdown, again.markdown), (first.html, again.html)] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: one)) == Data(contentsOf: URL(fileURLWithPath: two)), "\(one) is not reproducible")
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
}
