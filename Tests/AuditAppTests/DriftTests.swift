import AuditApp
import AuditCore
import AuditStore
import Foundation
import Testing
import TestSupport

/// Drift scenarios with a known truth, through the real ingest path.
@Suite("drift")
struct DriftScenarioTests {
    /// A fleet simulated over three months; calibrated on the first two; the third is the current window.
    static func fleet(seed: UInt64, drift: Bool, change: SimulationOptions.ModelChange = .none) throws -> (AuditApp, DriftOptions) {
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "drift"))
        let output = try SimulatedFleet.ingest(into: app) { options in
            options.models = 3
            options.perModel = 2400
            options.months = 3
            options.seed = seed
            options.driftEvent = drift
            options.firstModelChange = change
        }
        let monthTwoEnd = try #require(Timestamp.monthBounds("2026-10")).end
        var calibration = RecalibrationOptions()
        calibration.asOf = monthTwoEnd
        calibration.minimumFit = 0
        _ = try app.recalibrate(models: nil, options: calibration)
        var driftOptions = DriftOptions()
        driftOptions.current = (monthTwoEnd, output.now)
        driftOptions.resamples = 300
        return (app, driftOptions)
    }

    @Test("a new scanner at one site: ALERT, explained by accuracy and the site's modality mix, and stored")
    func scannerEvent() throws {
        let (app, options) = try Self.fleet(seed: 11, drift: true)
        let runs = try app.drift(models: nil, options: options)
        #expect(runs.count == 3)
        #expect(runs.contains { $0.status == .alert }, "\(runs.map(\.status))")
        let findings = runs.flatMap { run -> [JSONValue] in
            if case .array(let list)? = run.findings["findings"] { return list } else { return [] }
        }
        let messages = findings.filter { $0["severity"] != .string("OK") }.compactMap { $0["message"]?.stringValue }
        #expect(messages.contains { $0.hasPrefix("site-b: accuracy ") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("site-b: modality mix changed") }, "\(messages)")
        // The accuracy drop came with unchanged confidence: label-free checks alone cannot see it.
        let accuracyFinding = try #require(findings.first { $0["check"] == .string("accuracy") && $0["severity"] == .string("ALERT") })
        #expect(accuracyFinding["label_free"] == .bool(false))
        let stored = try app.latestDrift()
        #expect(Set(stored.map(\.runID)) == Set(runs.map(\.runID)))
        #expect(try app.verify().intact)
    }

    /// The non-OK findings of a run, as (check, subject, severity, label_free).
    static func raised(_ run: DriftRun) -> [(check: String, subject: String, severity: String, labelFree: Bool)] {
        guard case .array(let list)? = run.findings["findings"] else { return [] }
        return list.compactMap { finding in
            guard let severity = finding["severity"]?.stringValue, severity != "OK" else { return nil }
            return (
                finding["check"]?.stringValue ?? "", finding["subject"]?.stringValue ?? "", severity, finding["label_free"] == .bool(true)
            )
        }
    }

    /// The drift runs of a fleet whose first model changes in the last month, and that model's run.
    static func firstModelChanged(seed: UInt64, change: SimulationOptions.ModelChange) throws -> (runs: [DriftRun], changed: DriftRun) {
        let (app, options) = try fleet(seed: seed, drift: false, change: change)
        let runs = try app.drift(models: nil, options: options)
        return (runs, try #require(runs.first { $0.model == FleetSimulator.names(count: 3)[0] }))
    }

    @Test("confidence inflation without an accuracy change: label-free score checks raise it, accuracy stays OK")
    func confidenceInflation() throws {
        let (runs, inflated) = try Self.firstModelChanged(seed: 31, change: .confidenceInflation)
        let raised = Self.raised(inflated)
        #expect(inflated.status == .alert, "\(raised)")
        #expect(raised.contains { $0.check == "score distribution" && $0.subject == "msp" && $0.labelFree }, "\(raised)")
        #expect(!raised.contains { $0.check == "accuracy" }, "accuracy did not change: \(raised)")
        // Every statistic a script may want is a number field: PSI and the KS D of each score distribution.
        guard case .array(let findings)? = inflated.findings["findings"] else { Issue.record("no findings"); return }
        let msp = try #require(findings.first { $0["check"] == .string("score distribution") && $0["subject"] == .string("msp") })
        let d = try #require(msp["ks_d"]?.doubleValue)
        #expect(d > 0 && d <= 1 && msp["psi"]?.doubleValue == msp["statistic"]?.doubleValue)
        #expect(msp["message"]?.stringValue?.contains("KS D = ") == true)
        // The untouched models stay quiet.
        #expect(
            runs.filter { $0.model != inflated.model }.allSatisfy { $0.status != .alert }, "\(runs.map { ($0.model, Self.raised($0)) })")
    }

    @Test("a new, weaker model version: named by the label-free version check, confirmed by the labels' accuracy drop")
    func newModelVersion() throws {
        let (runs, changed) = try Self.firstModelChanged(seed: 41, change: .newModelVersion)
        let raised = Self.raised(changed)
        #expect(changed.status == .alert, "\(raised)")
        #expect(raised.contains { $0.check == "model version" && $0.subject == "2026.12" && $0.labelFree }, "\(raised)")
        #expect(raised.contains { $0.check == "accuracy" && $0.severity == "ALERT" && !$0.labelFree }, "\(raised)")
        #expect(runs.filter { $0.model != changed.model }.allSatisfy { Self.raised($0).allSatisfy { $0.check != "model version" } })
    }

    @Test("no drift: no ALERT on any model", arguments: [21, 22] as [UInt64])
    func noDrift(seed: UInt64) throws {
        let (app, options) = try Self.fleet(seed: seed, drift: false)
        let runs = try app.drift(models: nil, options: options)
        #expect(
            runs.allSatisfy { $0.status != .alert },
            "\(runs.map { ($0.model, $0.status, CanonicalJSON.text($0.findings["findings"] ?? .null)) })")
    }
}
