import AuditApp
import AuditCore
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// Recalibration and the calibration store on a real cluster, with data whose answer is known.
@Suite("recalibration and the calibration store")
struct CalibrationTests {
    /// A simulated fleet of `models` models ingested through the real path; returns the app and the simulated "now".
    static func simulatedFleet(models: Int = 4, perModel: Int = 1500, seed: UInt64 = 3) throws -> (AuditApp, Timestamp) {
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "cal"))
        let output = try SimulatedFleet.ingest(into: app) { options in
            options.models = models
            options.perModel = perModel
            options.months = 2
            options.seed = seed
            options.driftEvent = false
        }
        return (app, output.now)
    }

    @Test("an overconfident model gets T > 1 and lower hold-out ECE; an underconfident one T < 1")
    func temperatureDirection() throws {
        // Labels are drawn mostly from escalated cases (docs/simulator.md): enough of them for a stable hold-out ECE.
        let (app, now) = try Self.simulatedFleet(perModel: 4000)
        var options = RecalibrationOptions()
        options.asOf = now
        let outcomes = try app.recalibrate(models: nil, options: options)
        #expect(outcomes.count == 4)
        let byModel = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.model, $0) })
        // Model 0 is simulated overconfident (κ = 1.3), model 3 underconfident (κ = 0.6).
        let names = FleetSimulator.names(count: 4)
        let over = try #require(byModel[names[0]]?.temperature)
        let under = try #require(byModel[names[3]]?.temperature)
        #expect(over > 1.05, "overconfident model: T = \(over)")
        #expect(under < 0.95, "underconfident model: T = \(under)")
        let version = try #require(try app.calibration(id: byModel[names[0]]!.versionID!))
        let holdout = try #require(version.evidence["holdout"])
        let before = try #require(holdout["ece_before"]?.doubleValue)
        let after = try #require(holdout["ece_after"]?.doubleValue)
        #expect(after < before, "hold-out ECE \(before) → \(after)")
    }

    @Test("too little data leaves the version proposed, with the reason; re-running without new data stores nothing")
    func policy() throws {
        let (app, now) = try Self.simulatedFleet(models: 1, perModel: 600)
        var options = RecalibrationOptions()
        options.asOf = now
        options.minimumFit = 100_000
        let first = try #require(try app.recalibrate(models: nil, options: options).first)
        #expect(first.status == .proposed)
        #expect(first.message.contains("too little data"))
        let version = try #require(try app.calibration(id: first.versionID!))
        #expect(version.status == .proposed)
        #expect(version.evidence["decision"]?["reasons"] != nil)
        let second = try #require(try app.recalibrate(models: nil, options: options).first)
        #expect(second.status == .unchanged && second.versionID == first.versionID)
        #expect(try app.calibrations().count == 1)
    }

    @Test("activation, rollback and rejection keep exactly one active version, with every change recorded")
    func activationAndRollback() throws {
        let (app, now) = try Self.simulatedFleet(models: 1, perModel: 800)
        var options = RecalibrationOptions()
        options.asOf = now
        options.autoActivate = false
        let first = try #require(try app.recalibrate(models: nil, options: options).first?.versionID)
        options.targetRisk = 0.2
        let second = try #require(try app.recalibrate(models: nil, options: options).first?.versionID)
        options.targetRisk = 0.3
        let third = try #require(try app.recalibrate(models: nil, options: options).first?.versionID)
        let model = FleetSimulator.names(count: 1)[0]

        try app.activateCalibration(id: second, by: "dr-safety", reason: "reviewed evidence")
        #expect(try app.activeCalibration(model: model)?.versionID == second)
        try app.activateCalibration(id: first, by: "dr-safety", reason: "rollback")
        #expect(try app.activeCalibration(model: model)?.versionID == first)
        #expect(try app.calibration(id: second)?.status == .retired)
        try app.rejectCalibration(id: third, by: "dr-safety", reason: "not needed")
        #expect(try app.calibration(id: third)?.status == .rejected)
        #expect(throws: CalibrationStoreError.self) { try app.activateCalibration(id: third, by: "x", reason: "y") }
        #expect(throws: CalibrationStoreError.self) { try app.rejectCalibration(id: first, by: "x", reason: "active") }

        let connection = try app.database.connect()
        #expect(
            try connection.query("SELECT count(*) FROM calibration_status WHERE model = $1 AND status = 'active'", [model]).int(0, 0) == 1)
        // The database itself refuses a second active version.
        let error = try #require(throws: PQError.self) {
            try connection.query(
                """
                INSERT INTO calibration_events (version_id, model, status, actor, reason, prev_event_hash, event_hash)
                VALUES ($1, $2, 'active', 'intruder', 'x', 'p', 'forged')
                """, [second, model])
        }
        #expect(error.sqlState == "23505")
        #expect(try CalibrationStore.verify(connection).isEmpty)
        let events = try CalibrationStore.events(connection)
        #expect(events.map(\.status) == [.proposed, .proposed, .proposed, .active, .retired, .active, .rejected])
    }

    @Test("an edited calibration version is detected by verify")
    func tamperedVersion() throws {
        let (app, now) = try Self.simulatedFleet(models: 1, perModel: 600)
        var options = RecalibrationOptions()
        options.asOf = now
        _ = try app.recalibrate(models: nil, options: options)
        let connection = try app.database.connect()
        try connection.execute("SET session_replication_role = replica; UPDATE calibration_versions SET threshold = 0.01")
        let report = try app.verify()
        #expect(report.problems.contains { $0.description.contains("calibration version 1: content does not match its hash") })
    }

    @Test("two concurrent recalibrate runs store one version per model")
    func concurrentRuns() throws {
        let (app, now) = try Self.simulatedFleet(models: 3, perModel: 800)
        guard case .external(let conninfo) = app.database.location else { Issue.record("expected a test database"); return }
        let logs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("recal-\(UUID().uuidString).log").path }
        let children = try logs.map { try CLI.start(["recalibrate", "--all", "--as-of", now.rfc3339], conninfo: conninfo, log: $0) }
        let statuses = children.map { $0.wait() }
        let output = logs.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }
        #expect(statuses == [0, 0], "\(output)")
        let versions = try app.calibrations()
        #expect(versions.count == 3)
        #expect(Set(versions.map(\.model)).count == 3)
    }

    @Test("evaluate and recalibrate through the real ingest path reproduce the reference values")
    func referenceThroughIngest() throws {
        let fixturePath = TestDatabase.packageRoot.appendingPathComponent("Tests/StatisticsTests/Fixtures/datasets.json").path
        let fixtures = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath))), maximumDepth: 64)
        guard case .array(let datasets)? = fixtures["datasets"],
            let dataset = datasets.first(where: { $0["name"] == .string("medium_1000") }),
            case .array(let logits)? = dataset["logits"], case .array(let predicted)? = dataset["predicted"],
            case .array(let labels)? = dataset["labels"], let expected = dataset["expected"]
        else { Issue.record("fixture medium_1000 not found"); return }

        var predictionLines: [String] = []
        var labelLines: [String] = []
        for index in logits.indices {
            let time = Timestamp(microseconds: 1_790_000_000_000_000 + Int64(index) * 60_000_000)
            let options = JSONValue.array((0..<4).map { .string("option \($0)") })
            predictionLines.append(
                CanonicalJSON.text(
                    .object(
                        JSONObject([
                            ("prediction_id", .string(String(format: "ref-%04d", index))), ("model", .string("reference")),
                            ("occurred_at", .string(time.rfc3339)), ("options", options), ("option_logits", logits[index]),
                            ("predicted", predicted[index]),
                        ]))))
            labelLines.append(SampleRecords.label(id: String(format: "ref-%04d", index), label: Int(labels[index].integerValue!)))
        }
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "ref"))
        _ = try app.ingest(paths: [try SampleRecords.file(predictionLines)], options: IngestOptions(kind: .predictions))
        _ = try app.ingest(paths: [try SampleRecords.file(labelLines)], options: IngestOptions(kind: .labels))

        let document = try app.evaluate(model: "reference")
        let msp = try #require(document["methods"]?["msp"])
        let reference = try #require(expected["methods"]?["msp"])
        for key in ["auroc", "auprc_error", "aurc", "prr", "ece", "mce", "ace", "brier"] {
            let value = try #require(msp[key]?.doubleValue, "\(key)")
            let wanted = try #require(reference[key]?.doubleValue, "\(key)")
            #expect(abs(value - wanted) <= 1e-9 * abs(wanted) + 1e-12, "msp \(key): \(value) vs \(wanted)")
        }
        #expect(document["n_labeled"] == .integer(1000))

        var options = RecalibrationOptions()
        options.asOf = Timestamp(microseconds: 1_790_000_000_000_000 + 1001 * 60_000_000)
        options.windowDays = 3650
        options.minimumFit = 0
        let outcome = try #require(try app.recalibrate(models: ["reference"], options: options).first)
        let versionID = try #require(outcome.versionID)
        let version = try #require(try app.calibration(id: versionID))
        let recalibration = try #require(expected["recalibration"])
        #expect(
            version.nFit == Int(recalibration["n_fit"]!.integerValue!) && version.nHoldout == Int(recalibration["n_holdout"]!.integerValue!)
        )
        let wantedT = try #require(recalibration["temperature"]?.doubleValue)
        #expect(abs(version.temperature - wantedT) <= 1e-6 * wantedT, "T \(version.temperature) vs \(wantedT)")
        let ltt = try #require(recalibration["ltt"])
        if let tau = ltt["threshold"]?.doubleValue {
            let threshold = try #require(version.threshold)
            #expect(abs(threshold - tau) <= 1e-6 * abs(tau), "τ \(threshold) vs \(tau)")
            #expect(abs(version.coverage - ltt["coverage"]!.doubleValue!) < 1e-9)
        } else {
            #expect(version.threshold == nil)
        }
    }
}
