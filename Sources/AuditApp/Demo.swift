import AuditCore
import AuditStore
import Foundation
import Reports

/// Settings of `vlm-audit demo`.
public struct DemoOptions: Sendable {
    public var simulation = SimulationOptions()
    /// Where the simulated hospital files go.
    public var dataFolder = ".vlm-audit/demo-data"
    /// Where the report goes.
    public var reportFolder = "Reports"

    public init() {}
}

/// What the demo did, for its closing summary.
public struct DemoSummary: Sendable {
    public let month: String
    public let report: WrittenReport

    /// The rendered report model.
    public var model: MonthlyReport { report.report }
    /// Whether everything verified, the schema comparison included (the report's integrity section).
    public var verifyIntact: Bool { report.report.integrityComplete }
    /// The chain head quoted by the report.
    public var chainHead: String? { report.report.chainHead }
    /// Each model's true accuracy over the report month's clean predictions (the simulator knows every answer).
    public let trueAccuracy: [String: Double]
}

extension AuditApp {
    /// The whole loop on simulated data: simulate → ingest → recalibrate (on all months but the last) → drift
    /// (the last month against the calibration window) → monthly report of the last month → verify.
    /// Safe to re-run: the same seed writes the same files, re-ingest is a no-op and refits find nothing new.
    public func demo(options: DemoOptions, step: (String) -> Void) throws -> DemoSummary {
        step("database: \(database.location.safeDescription)")
        _ = try migratedConnection()
        var simulation = options.simulation
        simulation.writeTruth = true
        var simulator = FleetSimulator(options: simulation)
        let output = try simulator.write(to: options.dataFolder)
        step(
            "simulated \(output.predictions) predictions, \(output.probes) NOTA probes and \(output.labels) labels in \(options.dataFolder)"
        )
        let plans = try createSimulatedAuditPlans(simulation, output: output)
        step(
            "audit plans: \(plans.count) models, rate \(simulation.auditRate), from \(output.start.day); members are reviewed whatever "
                + "their confidence")
        let predictions = try ingest(paths: output.predictionFiles, options: IngestOptions(kind: .predictions, batchSize: 20_000))
        step(
            "ingested predictions: \(predictions.inserted) new, \(predictions.duplicates) already stored, \(predictions.rejected) rejected")
        let labels = try ingest(paths: [output.labelFile], options: IngestOptions(kind: .labels, batchSize: 20_000))
        step("ingested labels: \(labels.inserted) new, \(labels.duplicates) already stored, \(labels.rejected) rejected")

        let lastMonth = String(output.predictionFiles.last!.dropLast(".jsonl".count).suffix(7))
        let (monthStart, _) = Timestamp.monthBounds(lastMonth)!
        var calibration = RecalibrationOptions()
        calibration.asOf = monthStart
        calibration.fittedBy = "vlm-audit demo"
        let outcomes = try recalibrate(models: nil, options: calibration)
        step(
            "recalibrated \(outcomes.count) models on the data before \(lastMonth): "
                + "\(outcomes.filter { $0.status == .active }.count) activated, \(outcomes.filter { $0.status == .proposed }.count) proposed, "
                + "\(outcomes.filter { $0.status == .unchanged }.count) unchanged")
        // The labels are all in already: the first look at the new versions' monitors reads the whole last month.
        let monitors = try updateMonitors()
        let alarmed = monitors.filter(\.isAlarmed)
        step(
            "monitor of \(monitors.count) active thresholds over \(lastMonth): \(alarmed.count) alarmed"
                + (alarmed.isEmpty
                    ? ""
                    : " ("
                        + alarmed.map { monitor in
                            "\(monitor.model)"
                                + (monitor.alarms.first.map { $0.slice.isWhole ? "" : " on \($0.slice.attribute)=\($0.slice.value)" } ?? "")
                        }.joined(separator: ", ") + "); they escalate everything until a person activates a new version"))
        var driftOptions = DriftOptions()
        driftOptions.current = (monthStart, output.now)
        let runs = try drift(models: nil, options: driftOptions)
        step(
            "drift of \(lastMonth): "
                + DriftSeverity.allCases.reversed().map { severity in
                    "\(runs.filter { $0.status == severity }.count) \(severity.rawValue)"
                }.joined(separator: ", "))
        // The report verifies the whole chain for its integrity section; its result is the demo's verify step.
        let report = try writeMonthlyReport(month: lastMonth, outFolder: options.reportFolder)
        let model = report.report
        step(
            "verify: \(model.integrityComplete ? "intact" : (model.integrityIntact ? "PARTIAL (schema not compared)" : "BROKEN")), "
                + "chain head \(model.chainHead ?? "none")")
        return DemoSummary(
            month: lastMonth, report: report,
            trueAccuracy: try Self.trueAccuracy(predictions: output.predictionFiles.last!, truth: output.truthFile!))
    }
}

extension AuditApp {
    /// Accuracy per model over the clean predictions of one simulated file, against the simulator's true answers.
    static func trueAccuracy(predictions: String, truth: String) throws -> [String: Double] {
        var answers: [String: Int] = [:]
        for line in try String(contentsOfFile: truth, encoding: .utf8).split(separator: "\n") {
            let value = try JSONParser.parse([UInt8](line.utf8), maximumDepth: 4)
            if let id = value["prediction_id"]?.stringValue, let answer = value["truth"]?.integerValue { answers[id] = Int(answer) }
        }
        var tally: [String: (right: Int, all: Int)] = [:]
        for line in try String(contentsOfFile: predictions, encoding: .utf8).split(separator: "\n") {
            let value = try JSONParser.parse([UInt8](line.utf8), maximumDepth: 8)
            guard value["perturbation"] == nil, let id = value["prediction_id"]?.stringValue, let answer = answers[id],
                let model = value["model"]?.stringValue, let predicted = value["predicted"]?.integerValue
            else { continue }
            tally[model, default: (0, 0)].all += 1
            if Int(predicted) == answer { tally[model]!.right += 1 }
        }
        return tally.mapValues { Double($0.right) / Double($0.all) }
    }
}
