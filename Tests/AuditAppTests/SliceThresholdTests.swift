@testable import AuditApp
import AuditCore
import AuditStore
import Foundation
import Testing
import TestSupport

/// Per-slice thresholds (STATISTICS.md "Per-slice thresholds"; docs/monitor.md) against the reference LTT per slice at
/// δ / G (scripts/fixtures/make_slice_threshold_fixtures.py), stored, served and applied.
@Suite("per-slice thresholds", .serialized)
struct SliceThresholdTests {
    static let fixture: JSONValue = {
        let url = TestDatabase.packageRoot.appendingPathComponent("Tests/AuditAppTests/Fixtures/slice_thresholds.json")
        return (try? JSONParser.parse([UInt8](try Data(contentsOf: url)), maximumDepth: 16)) ?? .null
    }()

    static let start = Timestamp(microseconds: 1_790_000_000_000_000)

    /// The fixture's predictions and labels stored under model `slices`.
    static func storedApp() throws -> AuditApp {
        guard case .array(let rows)? = fixture["rows"], case .array(let predicted)? = fixture["predicted"],
            case .array(let labels)? = fixture["labels"], case .array(let sites)? = fixture["sites"]
        else {
            throw FixtureMissing()
        }
        var predictionLines: [String] = []
        var labelLines: [String] = []
        for index in rows.indices {
            let id = String(format: "slice-%04d", index)
            predictionLines.append(
                CanonicalJSON.text(
                    .object(
                        JSONObject([
                            ("prediction_id", .string(id)), ("model", .string("slices")), ("site", sites[index]),
                            ("occurred_at", .string(start.adding(seconds: Int64(index) * 60).rfc3339)),
                            ("options", .array((0..<4).map { .string("option \($0)") })), ("option_logits", rows[index]),
                            ("predicted", predicted[index]),
                        ]))))
            labelLines.append(SampleRecords.label(id: id, label: Int(labels[index].integerValue!)))
        }
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "slc"))
        _ = try app.ingest(paths: [try SampleRecords.file(predictionLines)], options: IngestOptions(kind: .predictions))
        _ = try app.ingest(paths: [try SampleRecords.file(labelLines)], options: IngestOptions(kind: .labels))
        return app
    }

    struct FixtureMissing: Error {}

    static func options(acceptGlobal: Bool) -> RecalibrationOptions {
        var options = RecalibrationOptions()
        options.asOf = start.adding(seconds: 2401 * 60)
        options.windowDays = 3650
        options.minimumFit = Int(fixture["minimum"]!.integerValue!)
        options.perSlice = "site"
        options.acceptGlobalForSmallSlices = acceptGlobal
        return options
    }

    @Test("each slice's τ equals the reference LTT at δ / G; a slice below the minimum escalates, or takes the global τ when accepted")
    func matchesReference() throws {
        let app = try Self.storedApp()
        let expected = try #require(Self.fixture["expected"])
        let outcome = try #require(try app.recalibrate(models: ["slices"], options: Self.options(acceptGlobal: false)).first)
        let versionID = try #require(outcome.versionID)
        let version = try #require(try app.calibration(id: versionID))
        #expect(abs(version.temperature - expected["temperature"]!.doubleValue!) <= 1e-6 * version.temperature)
        let globalTau = try #require(expected["global_threshold"]?.doubleValue)
        let versionTau = try #require(version.threshold)
        #expect(abs(versionTau - globalTau) <= 1e-6 * globalTau, "the global τ is fitted at δ as before")
        let table = try #require(SliceThresholds(evidence: version.evidence))
        #expect(table.attribute == "site")
        #expect(table.fitted == Int(expected["fitted"]!.integerValue!))
        #expect(abs(table.deltaPerSlice - expected["delta_per_slice"]!.doubleValue!) < 1e-15)
        guard case .array(let slices)? = expected["slices"] else { Issue.record("no slices"); return }
        #expect(table.entries.map(\.value) == slices.map { $0["value"]!.stringValue! })
        var sawEscalatingFittedSlice = false
        for (entry, reference) in zip(table.entries, slices) {
            #expect(entry.n == Int(reference["n"]!.integerValue!), "\(entry.value)")
            #expect(entry.ownGuarantee == (reference["fitted"] == .bool(true)), "\(entry.value)")
            if let tau = reference["threshold"]?.doubleValue {
                let value = try #require(entry.threshold, "\(entry.value)")
                #expect(abs(value - tau) <= 1e-6 * tau, "\(entry.value): τ \(value) vs reference \(tau)")
                #expect(abs(entry.coverage - reference["coverage"]!.doubleValue!) < 1e-9, "\(entry.value)")
            } else {
                #expect(entry.threshold == nil, "\(entry.value) escalates")
                if entry.ownGuarantee { sawEscalatingFittedSlice = true }
            }
        }
        #expect(sawEscalatingFittedSlice, "the hard site: no τ passes at δ / G, although the global τ accepts its cases")
        #expect(table.entries.contains { $0.threshold != nil && abs($0.threshold! - globalTau) > 0.01 }, "slices differ from the global τ")

        // Applied: a hard-site or small-site prediction is escalated whatever its score; an unlisted site too.
        let rule = AcceptanceRule(version: version, orientation: .confidence)
        let rows = try ScoredPredictionQueries.load(app.migratedConnection(), model: "slices")
        let smallSite = try #require(table.entries.first { !$0.ownGuarantee }?.value)
        #expect(rows.filter { $0.site == smallSite }.allSatisfy { !rule.accepts($0) })
        let confident = try #require(rows.first { $0.site == "site-a" && (rule.score($0) ?? 0) > 0.99 })
        #expect(rule.accepts(confident))
        #expect(rule.threshold(for: confident) == table.threshold(for: "site-a"))
        #expect(table.threshold(for: "site-z") == nil && table.threshold(for: nil) == nil)

        // Served: the table rides with the calibration; re-fitting the same data is "unchanged".
        try app.activateCalibration(id: version.versionID, by: "test", reason: "per-slice")
        let served = try #require(try app.servedCalibration(model: "slices")).json
        #expect(served["slice_attribute"] == .string("site"))
        guard case .array(let servedSlices)? = served["slice_thresholds"] else { Issue.record("no served table"); return }
        #expect(servedSlices.count == table.entries.count)
        #expect(try app.recalibrate(models: ["slices"], options: Self.options(acceptGlobal: false)).first?.status == .unchanged)

        // Explicitly accepting the global guarantee for small slices gives them the global τ, marked as not their own.
        let accepted = try #require(try app.recalibrate(models: ["slices"], options: Self.options(acceptGlobal: true)).first?.versionID)
        let acceptedVersion = try #require(try app.calibration(id: accepted))
        let small = try #require(SliceThresholds(evidence: acceptedVersion.evidence)?.entries.first { $0.value == smallSite })
        #expect(small.threshold == version.threshold && !small.ownGuarantee && small.basis.contains("explicitly accepted"))
    }
}
