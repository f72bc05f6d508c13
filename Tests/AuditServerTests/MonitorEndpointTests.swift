@testable import AuditApp
import AuditCore
import AuditServer
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// The sequential monitor end to end (docs/monitor.md): a simulated hospital whose site-c turns bad mid-month, its labels
/// posted over a real socket, the alarm flipping the served calibration, the chained events verifying, and `monitor`
/// idempotent; and the same hospital with nothing changing, where no alarm comes.
@Suite("sequential monitor end to end", .serialized)
struct MonitorEndpointTests {
    /// The first of two simulated models (the stronger one) over three months: predictions of all months and the labels of
    /// the first two stored, a version fitted on those two months and active; returns the last month's label lines of the
    /// model (not stored yet).
    static func prepare(_ app: AuditApp, change: SimulationOptions.ModelChange) throws -> [String] {
        var options = SimulationOptions()
        options.models = 2
        options.perModel = 6000
        options.months = 3
        options.driftEvent = false
        options.firstModelChange = change
        options.auditRate = 0.3
        var simulator = FleetSimulator(options: options)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-\(UUID().uuidString)").path
        let output = try simulator.write(to: folder)
        try app.createSimulatedAuditPlans(options, output: output)
        _ = try app.ingest(paths: output.predictionFiles, options: IngestOptions(kind: .predictions))
        let lines = try String(contentsOfFile: output.labelFile, encoding: .utf8).split(separator: "\n").map(String.init)
        let model = FleetSimulator.names(count: 2)[0]
        let (late, early) = (lines.filter { $0.contains("\"\(model)-2026-11-") }, lines.filter { !$0.contains("-2026-11-") })
        let earlyPath = folder + "/labels-early.jsonl"
        try early.joined(separator: "\n").write(toFile: earlyPath, atomically: true, encoding: .utf8)
        _ = try app.ingest(paths: [earlyPath], options: IngestOptions(kind: .labels))
        var recalibration = RecalibrationOptions()
        recalibration.asOf = Timestamp(rfc3339: "2026-11-01T00:00:00Z")
        guard let outcome = try app.recalibrate(models: [model], options: recalibration).first, let version = outcome.versionID else {
            throw ScenarioError(description: "nothing was fitted for \(model)")
        }
        if outcome.status != .active { try app.activateCalibration(id: version, by: "test", reason: "monitor scenario") }
        guard try app.activeCalibration(model: model)?.threshold != nil else {
            throw ScenarioError(description: "the fitted version of \(model) accepts nothing: \(outcome.message)")
        }
        return late
    }

    /// Why a scenario could not be set up (thrown, not recorded: `prepare` may run on a thread outside the test's context).
    struct ScenarioError: Error, CustomStringConvertible {
        let description: String
    }

    static func eventCount(_ app: AuditApp) throws -> Int {
        try app.migratedConnection().query("SELECT count(*) FROM monitor_events").int(0, 0)!
    }

    @Test("site-c's error rises mid-month: labels posted over HTTP raise the alarm, the served calibration escalates everything")
    func alarmFlipsServedCalibration() async throws {
        try await ServerHarness.with { server in try await Self.alarmScenario(server) }
    }

    static func alarmScenario(_ server: ServerHarness) async throws {
        // Seconds of blocking database work: off the cooperative pool, which this server and those of other suites need.
        let late = try await BackgroundWork.value { try prepare(server.app, change: .siteErrorRise) }
        let model = FleetSimulator.names(count: 2)[0]
        let read = try server.token(.read)
        let label = try server.token(.label)

        let before = try await server.send("GET", "/v1/models/\(model)/calibration", token: read)
        #expect(before.status == 200)
        #expect(try before.json()["escalates_everything"] == .bool(false))
        let etagBefore = try #require(before.headers["etag"])
        let monitorBefore = try await server.send("GET", "/v1/models/\(model)/monitor", token: read)
        #expect(monitorBefore.status == 200)
        #expect(try monitorBefore.json()["alarm"] == .bool(false))

        for start in stride(from: 0, to: late.count, by: 200) {
            let chunk = late[start..<min(start + 200, late.count)]
            let reply = try await server.send("POST", "/v1/labels", token: label, body: "[" + chunk.joined(separator: ",") + "]")
            #expect(reply.status == 200 || reply.status == 201, "\(reply.status)")
        }

        let monitor = try await server.send("GET", "/v1/models/\(model)/monitor", token: read)
        let entry = try monitor.json()
        #expect(entry["alarm"] == .bool(true), "\(String(decoding: monitor.body, as: UTF8.self))")
        #expect(entry["escalates_everything"] == .bool(true))
        #expect(entry["alarm_reason"]?.stringValue?.contains("exceeds α") == true)
        guard case .array(let slices)? = entry["slices"] else { Issue.record("no slices"); return }
        let siteC = slices.first { $0["attribute"] == .string("site") && $0["value"] == .string("site-c") }
        #expect(siteC?["alarm"] == .bool(true), "the slice that changed alarms")
        let others = slices.filter { $0["attribute"] == .string("site") && $0["value"] != .string("site-c") }
        #expect(!others.isEmpty && others.allSatisfy { $0["alarm"] == .bool(false) }, "the sites that did not change stay quiet")
        #expect(slices.allSatisfy { ($0["delta"]?.doubleValue ?? 1) < 0.05 / Double(slices.count) + 1e-12 }, "each slice at δ / K")

        let after = try await server.send("GET", "/v1/models/\(model)/calibration", token: read)
        let served = try after.json()
        #expect(served["escalates_everything"] == .bool(true))
        #expect(served["threshold"] == .null)
        #expect(served["fitted_threshold"]?.doubleValue != nil)
        #expect(served["monitor_alarm"]?["reason"]?.stringValue != nil)
        #expect(after.headers["etag"] != etagBefore, "the deployed service's conditional GET sees the change")
        let metrics = try await server.send("GET", "/metrics", token: read)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("vlm_audit_monitor_e_value{model=\"\(model)\"}"))
        #expect(text.contains("vlm_audit_monitor_alarms_total{model=\"\(model)\"}"))

        // The month's report names the alarm and replays the stream the monitor read.
        let monthly = try await BackgroundWork.value { try server.app.monthlyReport(month: "2026-11") }
        let section = try #require(monthly.monitors.first { $0.model == model })
        #expect(section.isAlarmed && section.observations == entry["t"]?.integerValue.map(Int.init))
        #expect(section.trajectory.last?.t == section.observations, "the replay reads the same stream")
        #expect(!section.alarmPositions.isEmpty)
        #expect(monthly.models.first { $0.model == model }?.verdict.contains("escalates everything until a person activates") == true)

        // Re-running the monitor reads nothing new and writes nothing; `verify` recomputes the monitor chain.
        let events = try eventCount(server.app)
        let rerun = try server.app.updateMonitors()
        #expect(try eventCount(server.app) == events)
        #expect(rerun.first?.isAlarmed == true && rerun.first?.newAlarms.isEmpty == true)
        let report = try server.app.verify()
        #expect(report.problems.isEmpty, "\(report.problems.map(\.message))")
        #expect(report.monitorHead != nil)
        // Only a new version, activated by a person, ends the alarm: a refit, even with automatic activation on, is proposed.
        let refitOutcome = try #require(try server.app.recalibrate(models: [model], options: RecalibrationOptions()).first)
        #expect(refitOutcome.status == .proposed, "\(refitOutcome.message)")
        #expect(refitOutcome.message.contains("alarm"))
        let refit = try #require(refitOutcome.versionID)
        try server.app.activateCalibration(id: refit, by: "safety officer", reason: "refit after the site-c alarm")
        let recovered = try await server.send("GET", "/v1/models/\(model)/calibration", token: read)
        #expect(try recovered.json()["monitor_alarm"] == .null)
    }

    @Test("nothing changes: the monitor reads every label of the month and raises no alarm")
    func steadyHospitalStaysQuiet() async throws {
        // Seconds of blocking database work run off the cooperative pool (the HTTP servers of other suites need it);
        // the expectations are checked here, in the test's own context.
        let (app, summary, looks) = try await BackgroundWork.value { () throws -> (AuditApp, IngestSummary, Int) in
            let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "mon"))
            let late = try Self.prepare(app, change: .none)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("late-\(UUID().uuidString).jsonl").path
            try late.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let summary = try app.ingest(paths: [path], options: IngestOptions(kind: .labels, batchSize: 100))
            let looks = try app.migratedConnection().query(
                "SELECT count(*) FROM monitor_events WHERE kind = 'update' AND slice_attribute = ''"
            ).int(0, 0)!
            return (app, summary, looks)
        }
        #expect(summary.monitorAlarms.isEmpty)
        // One look after every batch of the file: the whole-model monitor moved once per batch.
        #expect(summary.batches > 3 && looks == summary.batches, "\(looks) looks for \(summary.batches) batches")
        let monitor = try #require(try app.updateMonitors().first)
        #expect(!monitor.isAlarmed)
        let whole = try #require(monitor.whole)
        #expect(whole.observations > 100, "the month's accepted audited labels were read: \(whole.observations)")
        #expect(Double(whole.errors) / Double(whole.observations) < 0.2)
        #expect(monitor.slices.count >= 3)
        #expect(monitor.slices.allSatisfy { !$0.isAlarmed })
        // The stream is exactly the accepted audit members after the window with an effective label.
        let version = try #require(try app.activeCalibration(model: monitor.model))
        let rows = try ScoredPredictionQueries.load(
            app.migratedConnection(), model: monitor.model, from: version.windowTo,
            includeProbes: false, labeledOnly: true)
        let plans = AuditPlanSchedule(plans: try AuditPlanStore.plans(app.migratedConnection(), model: monitor.model))
        let expected = rows.filter { row in
            guard let plan = plans.plan(at: row.occurredAt), let seed = plan.seed,
                AuditMembership.isMember(seed: seed, predictionID: row.predictionID, rate: plan.rate),
                let msp = row.calibratedMSP(temperature: version.temperature)
            else { return false }
            return msp >= version.threshold!
        }
        #expect(whole.observations == expected.count)
        #expect(whole.errors == expected.filter { $0.isCorrect == false }.count)
    }
}
