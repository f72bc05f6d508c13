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
    /// Whether the chain verified (the report's integrity section).
    public var verifyIntact: Bool { report.report.integrityIntact }
    /// The chain head quoted by the report.
    public var chainHead: String? { report.report.chainHead }
}

extension AuditApp {
    /// The whole loop on simulated data: simulate → ingest → recalibrate (on all months but the last) → drift
    /// (the last month against the calibration window) → monthly report of the last month → verify.
    /// Safe to re-run: the same seed writes the same files, re-ingest is a no-op and refits find nothing new.
    public func demo(options: DemoOptions, step: (String) -> Void) throws -> DemoSummary {
        step("database: \(database.location.safeDescription)")
        _ = try migratedConnection()
        var simulator = FleetSimulator(options: options.simulation)
        let output = try simulator.write(to: options.dataFolder)
        step("simulated \(output.predictions) predictions, \(output.probes) NOTA probes and \(output.labels) labels in \(options.dataFolder)")
        let predictions = try ingest(paths: output.predictionFiles, options: IngestOptions(kind: .predictions, batchSize: 20_000))
        step("ingested predictions: \(predictions.inserted) new, \(predictions.duplicates) already stored, \(predictions.rejected) rejected")
        let labels = try ingest(paths: [output.labelFile], options: IngestOptions(kind: .labels, batchSize: 20_000))
        step("ingested labels: \(labels.inserted) new, \(labels.duplicates) already stored, \(labels.rejected) rejected")

        let lastMonth = String(output.predictionFiles.last!.dropLast(".jsonl".count).suffix(7))
        let (monthStart, _) = Timestamp.monthBounds(lastMonth)!
        var calibration = RecalibrationOptions()
        calibration.asOf = monthStart
        calibration.fittedBy = "vlm-audit demo"
        let outcomes = try recalibrate(models: nil, options: calibration)
        step("recalibrated \(outcomes.count) models on the data before \(lastMonth): "
             + "\(outcomes.filter { $0.status == "active" }.count) activated, \(outcomes.filter { $0.status == "proposed" }.count) proposed, "
             + "\(outcomes.filter { $0.status == "unchanged" }.count) unchanged")
        var driftOptions = DriftOptions()
        driftOptions.current = (monthStart, output.now)
        let runs = try drift(models: nil, options: driftOptions)
        step("drift of \(lastMonth): \(runs.filter { $0.status == "ALERT" }.count) ALERT, \(runs.filter { $0.status == "WARN" }.count) WARN, "
             + "\(runs.filter { $0.status == "OK" }.count) OK")
        // The report verifies the whole chain for its integrity section; its result is the demo's verify step.
        let report = try writeMonthlyReport(month: lastMonth, outFolder: options.reportFolder)
        let model = report.report
        step("verify: \(model.integrityIntact ? "intact" : "BROKEN"), chain head \(model.chainHead ?? "none")")
        return DemoSummary(month: lastMonth, report: report)
    }
}
