import ArgumentParser
import AuditApp
import AuditCore
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole loop on the embedded cluster with simulated data: simulate, ingest, recalibrate, drift, report, verify.")
    @Option(help: "Number of models in the simulated fleet.") var models = 12
    @Option(name: .customLong("per-model"), help: "Clean predictions per model over the three months.") var perModel = 5000
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Folder for the simulated hospital files.") var data = ".vlm-audit/demo-data"
    @Option(help: "Folder for the report.") var out = "Reports"
    @Option(name: .customLong("audit-rate"), help: "Share of predictions in the simulated audit sample.") var auditRate = 0.15
    @Option(
        name: .customLong("first-model-change"),
        help: "What happens to the first model in the last month (docs/simulator.md).")
    var firstModelChange: SimulationOptions.ModelChange = .none
    @Flag(
        name: .customLong("allow-external-database"),
        help: "Run on the server DATABASE_URL or PG* names (a scratch database only: simulated records can never be deleted).")
    var allowExternalDatabase = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let app = database.app()
        if !app.usesEmbeddedCluster, !allowExternalDatabase {
            printError(
                """
                error: the demo runs only on its own embedded cluster: it writes simulated predictions, and an append-only \
                store can never delete them. Unset DATABASE_URL and the PG* settings (VLM_AUDIT_HOME chooses the cluster's \
                folder), or pass --allow-external-database for a scratch database.
                """)
            throw ExitCode.failure
        }
        var options = DemoOptions()
        options.simulation.models = models
        options.simulation.perModel = perModel
        options.simulation.seed = seed
        options.simulation.auditRate = auditRate
        options.simulation.firstModelChange = firstModelChange
        options.dataFolder = data
        options.reportFolder = out
        let started = Date()
        let summary = try app.demo(options: options) {
            printError(String(format: "• [%5.1f s] ", Date().timeIntervalSince(started)) + $0)
        }
        let report = summary.model
        print("")
        print("Monthly report \(summary.month) — per model:")
        print("model".padding(toLength: 18, withPad: " ", startingAt: 0) + "accuracy*  T       τ (accept msp ≥)   escalated   drift")
        for model in report.models {
            let tau =
                model.calibrationVersion == nil
                ? "none active" : (model.threshold.map { String(format: "%.4f", $0) } ?? "+inf: escalate all")
            let accuracy: String = (model.audit?.ppiEstimate ?? model.accuracy).map { String(format: "%.3f", $0) } ?? "–"
            let temperature: String = model.temperature.map { String(format: "%.3f", $0) } ?? "–"
            let escalated: String = model.escalationRate.map { String(format: "%.1f %%", $0 * 100) } ?? "–"
            let drift: String = model.driftStatus?.rawValue ?? "–"
            print(
                model.model.padding(toLength: 18, withPad: " ", startingAt: 0) + pad(accuracy, 11) + pad(temperature, 8) + pad(tau, 19)
                    + pad(escalated, 12) + drift)
        }
        print("  * prediction-powered accuracy on the audit sample (below)")
        print("")
        print("Accuracy three ways, against the truth the simulator knows (\(summary.month)):")
        print("model".padding(toLength: 18, withPad: " ", startingAt: 0) + "naive      audit      prediction-powered (95 % CI)   true")
        for model in report.models {
            guard let audit = model.audit else { continue }
            let ppi =
                audit.ppiEstimate.map { String(format: "%.3f (%.3f–%.3f)", $0, audit.ppiLower ?? .nan, audit.ppiUpper ?? .nan) } ?? "–"
            print(
                model.model.padding(toLength: 18, withPad: " ", startingAt: 0)
                    + pad(audit.naiveAccuracy.map { String(format: "%.3f", $0) } ?? "–", 11)
                    + pad(audit.accuracy.map { String(format: "%.3f", $0) } ?? "–", 11) + pad(ppi, 31)
                    + (summary.trueAccuracy[model.model].map { String(format: "%.3f", $0) } ?? "–"))
        }
        print("  (naive: every label, mostly escalated cases; audit: the random audit sample; prediction-powered: the audit")
        print("   sample corrected with every prediction's calibrated confidence, the figure to trust)")
        print("")
        print("The seed's findings on this fleet (on the audit sample):")
        print(
            "  UE quality tracks accuracy: Spearman ρ(accuracy, msp AUROC) = \(report.fleet.spearman.map { String(format: "%.3f", $0) } ?? "n/a")"
        )
        let nota = report.models.compactMap(\.nota)
        let pairs = nota.reduce(0) { $0 + $1.pairs }
        let meanClean = nota.compactMap(\.cleanAccuracy).reduce(0, +) / Double(max(nota.count, 1))
        let meanNota = nota.compactMap(\.notaAccuracy).reduce(0, +) / Double(max(nota.count, 1))
        let mspShift = nota.compactMap { entry in entry.msp.flatMap { m in m.meanClean.flatMap { c in m.meanNota.map { c - $0 } } } }
        let fragility = nota.compactMap { entry in entry.msp?.fragility }
        print(
            "  NOTA collapse: accuracy \(String(format: "%.1f %%", meanClean * 100)) clean → \(String(format: "%.1f %%", meanNota * 100)) under NOTA "
                + "(\(pairs) pairs), mean msp drops only \(String(format: "%.3f", mspShift.reduce(0, +) / Double(max(mspShift.count, 1))))")
        print(
            "  Clean uncertainty anticipates collapse: fragility AUROC (msp) mean \(String(format: "%.3f", fragility.reduce(0, +) / Double(max(fragility.count, 1)))), "
                + "above 0.5 for \(fragility.filter { $0 > 0.5 }.count) of \(fragility.count) models")
        print("")
        print("verify: \(summary.verifyIntact ? "intact" : "BROKEN"); chain head \(summary.chainHead ?? "none")")
        print("report: \(summary.report.markdown)")
        print("        \(summary.report.html)")
        print("        \(summary.report.json)")
        printError(String(format: "demo finished in %.1f s", Date().timeIntervalSince(started)))
        if !summary.verifyIntact { throw ExitCode.failure }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
