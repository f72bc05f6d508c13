@testable import AuditApp
import AuditCore
@testable import AuditStore
import Foundation
import PQ
import Statistics
import Testing
import TestSupport

/// Audit sampling (docs/audit.md; STATISTICS.md "Audit sampling") against a real PostgreSQL: plans, membership as
/// Python's hashlib computes it, the worklist, the `audit` block of evaluate, and recalibration's guarantee basis.
@Suite("audit sampling", .serialized)
struct AuditSamplingTests {
    struct MembershipCase {
        let seed: [UInt8]
        let id: String
        let u: Double
        let members: [Bool]
    }

    static let fixture: (rates: [Double], cases: [MembershipCase], edges: [(seed: [UInt8], id: String, rate: Double, member: Bool)]) = {
        let url = TestDatabase.packageRoot.appendingPathComponent("Tests/AuditAppTests/Fixtures/membership.json")
        let value = try! JSONParser.parse([UInt8](try! Data(contentsOf: url)), maximumDepth: 8)
        guard case .array(let rates)? = value["rates"], case .array(let cases)? = value["cases"], case .array(let edges)? = value["edges"]
        else {
            return ([], [], [])
        }
        return (
            rates.map { $0.doubleValue! },
            cases.map { entry in
                guard case .array(let members)? = entry["members"] else { fatalError("members") }
                return MembershipCase(
                    seed: try! AuditSeed.parse(hex: entry["seed"]!.stringValue!), id: entry["id"]!.stringValue!,
                    u: entry["u"]!.doubleValue!, members: members.map { $0 == .bool(true) })
            },
            edges.map { entry in
                (
                    try! AuditSeed.parse(hex: entry["seed"]!.stringValue!), entry["id"]!.stringValue!, entry["rate"]!.doubleValue!,
                    entry["member"]! == .bool(true)
                )
            }
        )
    }()

    @Test("membership equals Python's hashlib definition bit for bit, non-ASCII ids and one-ulp rates included")
    func membershipMatchesPython() throws {
        let fixture = Self.fixture
        try #require(fixture.cases.count == 1230 && fixture.edges.count >= 50)
        for entry in fixture.cases {
            #expect(AuditMembership.number(seed: entry.seed, predictionID: entry.id) == entry.u, "\(entry.id)")
            for (rate, member) in zip(fixture.rates, entry.members) {
                #expect(AuditMembership.isMember(seed: entry.seed, predictionID: entry.id, rate: rate) == member, "\(entry.id) at \(rate)")
            }
        }
        for edge in fixture.edges {
            #expect(
                AuditMembership.isMember(seed: edge.seed, predictionID: edge.id, rate: edge.rate) == edge.member,
                "\(edge.id) at \(edge.rate)")
        }
    }

    @Test("the database's membership test (sha256 prefix < member_bound) agrees with the definition on every case")
    func sqlMembershipAgrees() throws {
        let connection = try TestDatabase.createMigrated(prefix: "aud").connect()
        let fixture = Self.fixture
        var checked = 0
        for edge in fixture.edges {
            let member = try connection.query(
                "SELECT substr(sha256(decode($1, 'hex') || convert_to($2, 'UTF8')), 1, 8) < decode($3, 'hex')",
                [AuditSeed.hex(edge.seed), edge.id, AuditMembership.boundHex(rate: edge.rate)]
            ).bool(0, 0)
            #expect(member == edge.member, "\(edge.id) at \(edge.rate)")
            checked += 1
        }
        for entry in fixture.cases.prefix(410) {
            for (rate, expected) in zip(fixture.rates, entry.members) {
                let member = try connection.query(
                    "SELECT substr(sha256(decode($1, 'hex') || convert_to($2, 'UTF8')), 1, 8) < decode($3, 'hex')",
                    [AuditSeed.hex(entry.seed), entry.id, AuditMembership.boundHex(rate: rate)]
                ).bool(0, 0)
                #expect(member == expected, "\(entry.id) at \(rate)")
                checked += 1
            }
        }
        #expect(checked > 2000)
    }

    @Test("stored predictions: the worklist, the ingest summary and the HTTP-side flag list exactly the fixture's members")
    func storedMembershipMatches() throws {
        let database = try TestDatabase.createMigrated(prefix: "aud")
        let app = AuditApp(database: database)
        let fixture = Self.fixture
        let cases = fixture.cases.prefix(410)
        let seed = cases.first!.seed
        let rateIndex = fixture.rates.firstIndex(of: 0.5)!
        var request = AuditPlanRequest(
            model: "fx", rate: 0.5, seed: seed, effectiveFrom: Timestamp(rfc3339: "2026-10-01T00:00:00Z"),
            createdBy: "test")
        request.allowNewModel = true
        _ = try app.createAuditPlan(request)
        let lines = cases.enumerated().map { index, entry in
            let id = entry.id.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return SampleRecords.prediction(
                id: id, model: "fx", at: String(format: "2026-10-05T%02d:%02d:00Z", index / 60 % 24, index % 60))
        }
        let summary = try app.ingest(paths: [try SampleRecords.file(lines)], options: IngestOptions(kind: .predictions))
        let expected = Set(cases.filter { $0.members[rateIndex] }.map(\.id))
        #expect(summary.inserted == 410)
        #expect(summary.auditMembers == expected.count && expected.count > 150 && expected.count < 260)
        let worklist = try app.auditWorklist(model: "fx", limit: 10_000)
        #expect(Set(worklist.items.map(\.predictionID)) == expected)
        #expect(worklist.items.map(\.occurredAt) == worklist.items.map(\.occurredAt).sorted(), "oldest first")
        // A label takes a member off the worklist.
        let first = try #require(worklist.items.first)
        let escaped = first.predictionID.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.label(id: escaped, label: 0)])], options: IngestOptions(kind: .labels))
        #expect(try app.auditWorklist(model: "fx", limit: 10_000).items.count == expected.count - 1)
        // The request path tells the deployed service at once.
        let posted = try app.ingest(
            values: [try JSONParser.parse(lines[0]), try JSONParser.parse(lines[1])], kind: .predictions, source: "test")
        #expect(posted.outcomes.map(\.audit) == [expected.contains(cases[0].id), expected.contains(cases[1].id)])
        #expect(try ChainVerifier.verify(database.connect()).intact && app.verify().intact)
    }

    @Test(
        "bad plans are refused with the field at fault, and nothing is stored",
        arguments: [
            ("rate", 0.0, "model-a", "2026-10-01T00:00:00Z"), ("rate", 1.5, "model-a", "2026-10-01T00:00:00Z"),
            ("rate", Double.nan, "model-a", "2026-10-01T00:00:00Z"), ("model", 0.1, "no-such-model", "2026-10-01T00:00:00Z"),
            ("effective_from", 0.2, "model-a", "2026-09-01T00:00:00Z"),
        ])
    func badPlans(field: String, rate: Double, model: String, from: String) throws {
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "aud"))
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "p1", model: "model-a")])],
            options: IngestOptions(kind: .predictions))
        _ = try app.createAuditPlan(
            AuditPlanRequest(
                model: "model-a", rate: 0.1, seed: Array(repeating: 7, count: 32),
                effectiveFrom: Timestamp(rfc3339: "2026-09-01T00:00:00Z"), createdBy: "test"))
        let before = try app.auditPlans()
        #expect(throws: AuditPlanError.self) {
            do {
                _ = try app.createAuditPlan(
                    AuditPlanRequest(
                        model: model, rate: rate, seed: Array(repeating: 9, count: 32),
                        effectiveFrom: Timestamp(rfc3339: from), createdBy: "test"))
            } catch let error as AuditPlanError {
                #expect(error.field == field, "\(error)")
                throw error
            }
        }
        #expect(try app.auditPlans() == before)
        #expect(try app.verify().intact)
    }

    @Test("an identical plan re-created is a no-op; a seed of the wrong length is refused")
    func idempotentAndSeedLength() throws {
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "aud"))
        var request = AuditPlanRequest(
            model: "m", rate: 0.1, seed: Array(repeating: 1, count: 32),
            effectiveFrom: Timestamp(rfc3339: "2026-09-01T00:00:00Z"), createdBy: "test")
        request.allowNewModel = true
        let first = try app.createAuditPlan(request)
        let again = try app.createAuditPlan(request)
        #expect(first.created && !again.created && first.plan == again.plan)
        request.seed = Array(repeating: 1, count: 31)
        request.effectiveFrom = Timestamp(rfc3339: "2026-10-01T00:00:00Z")
        #expect(throws: AuditPlanError.self) { try app.createAuditPlan(request) }
        #expect(throws: AuditPlanError.self) { try AuditSeed.parse(hex: String(repeating: "a", count: 63)) }
        #expect(throws: AuditPlanError.self) { try AuditSeed.parse(hex: String(repeating: "g", count: 64)) }
        #expect(try app.auditPlans().count == 1)
    }

    @Test("verify recomputes the plan chain: a replaced seed, an edited rate and a removed plan are each caught")
    func tamperedPlansAreCaught() throws {
        for tamper in [
            "UPDATE audit_plans SET seed = decode(repeat('ab', 32), 'hex'), seed_sha256 = encode(sha256(decode(repeat('ab', 32), 'hex')), 'hex') WHERE plan_id = 1",
            "UPDATE audit_plans SET rate = 0.9 WHERE plan_id = 1",
            "DELETE FROM audit_plans WHERE plan_id = 1",
        ] {
            let database = try TestDatabase.createMigrated(prefix: "aud")
            let app = AuditApp(database: database)
            for (index, model) in ["a", "b"].enumerated() {
                var request = AuditPlanRequest(
                    model: model, rate: 0.2, seed: Array(repeating: UInt8(index), count: 32),
                    effectiveFrom: Timestamp(rfc3339: "2026-09-01T00:00:00Z"), createdBy: "test")
                request.allowNewModel = true
                _ = try app.createAuditPlan(request)
            }
            #expect(try app.verify().intact)
            try TamperScenario(name: "audit plan", sql: tamper, expected: "audit plan").apply(to: try database.connect())
            let report = try app.verify()
            #expect(!report.intact, "\(tamper)")
            #expect(report.problems.contains { $0.message.contains("audit plan") }, "\(tamper): \(report.problems)")
        }
    }

    @Test("evaluate's audit block: the labeled design sample's statistics, PPI++ over the rest, completion and the selection gap")
    func evaluateAuditBlock() throws {
        let database = try TestDatabase.createMigrated(prefix: "aud")
        let app = AuditApp(database: database)
        let seed = Array(repeating: UInt8(42), count: 32)
        var random = Xoshiro256StarStar(seed: 5)
        var predictions: [String] = []
        var labels: [String] = []
        var expectedMembers = 0
        var labeledMembers: [(correct: Bool, msp: Double)] = []
        var others: [Double] = []
        var naive: [Bool] = []
        for index in 0..<1500 {
            let id = "e-\(index)"
            let top = 0.3 + 0.65 * random.uniform()
            let correct = random.uniform() < top
            let member = AuditMembership.isMember(seed: seed, predictionID: id, rate: 0.2)
            let escalated = top < 0.6
            let reviewed = member ? random.uniform() < 0.9 : random.uniform() < (escalated ? 0.9 : 0.1)
            let probabilities = [top, (1 - top) / 2, (1 - top) / 2]
            predictions.append(
                SampleRecords.prediction(
                    id: id, model: "e",
                    at: String(
                        format: "2026-10-%02dT%02d:%02d:00Z", 1 + index / 1440,
                        index / 60 % 24, index % 60),
                    probabilities: probabilities))
            if member { expectedMembers += 1 }
            if reviewed {
                labels.append(SampleRecords.label(id: id, label: correct ? 0 : 1))
                naive.append(correct)
            }
            if member && reviewed { labeledMembers.append((correct, top)) } else { others.append(top) }
        }
        _ = try app.ingest(paths: [try SampleRecords.file(predictions)], options: IngestOptions(kind: .predictions))
        _ = try app.ingest(paths: [try SampleRecords.file(labels)], options: IngestOptions(kind: .labels))
        var request = AuditPlanRequest(
            model: "e", rate: 0.2, seed: seed, effectiveFrom: Timestamp(rfc3339: "2026-09-01T00:00:00Z"), createdBy: "test")
        request.reason = "test plan"
        _ = try app.createAuditPlan(request)
        let document = try app.evaluate(model: "e")
        let audit = try #require(document["audit"])
        #expect(audit["members"]?.integerValue == Int64(expectedMembers))
        #expect(audit["labeled"]?.integerValue == Int64(labeledMembers.count))
        #expect(audit["rate"]?.doubleValue == 0.2)
        let auditAccuracy = Double(labeledMembers.filter(\.correct).count) / Double(labeledMembers.count)
        #expect(audit["accuracy"]?.doubleValue == auditAccuracy)
        let naiveAccuracy = Double(naive.filter { $0 }.count) / Double(naive.count)
        #expect(document["accuracy"]?.doubleValue == naiveAccuracy, "the top level stays the naive figure")
        #expect(abs((audit["selection_gap"]?.doubleValue ?? 0) - (naiveAccuracy - auditAccuracy)) < 1e-15)
        let ppi = try #require(
            PredictionPoweredMean(
                labeled: labeledMembers.map { $0.correct ? 1 : 0 }, predicted: labeledMembers.map(\.msp),
                unlabeled: others))
        expectClose(audit["ppi_accuracy"]?["estimate"], .number(ppi.estimate), path: "ppi.estimate")
        expectClose(audit["ppi_accuracy"]?["ci_low"], .number(ppi.low), path: "ppi.ci_low")
        expectClose(audit["ppi_accuracy"]?["N"], .integer(Int64(others.count)), path: "ppi.N")
        let flag = naiveAccuracy < ppi.low || naiveAccuracy > ppi.high
        #expect(audit["selection_flag"] == .bool(flag))
        #expect(flag, "labels drawn mostly from escalated cases put the naive figure below the audit interval here")
        // The methods on the design sample equal the ordinary metrics of just those rows.
        let msp = MethodMetrics(values: labeledMembers.map(\.msp), correct: labeledMembers.map(\.correct), orientation: .confidence)
        expectClose(audit["methods"]?["msp"]?["auroc"], .number(msp.auroc), path: "audit.msp.auroc")
        expectClose(audit["methods"]?["msp"]?["ece"], .number(msp.calibration?.ece), path: "audit.msp.ece")
        // A window no plan covers has no audit block.
        #expect(
            try app.evaluate(model: "e", from: Timestamp(rfc3339: "2026-08-01T00:00:00Z"), to: Timestamp(rfc3339: "2026-08-31T00:00:00Z"))[
                "audit"] == .null)
    }

    @Test("recalibration rests its guarantee on the audit sample, and never auto-activates one that rests on non-random labels")
    func recalibrationBasis() throws {
        for withPlans in [true, false] {
            let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "aud"))
            var options = SimulationOptions()
            options.models = 1
            options.perModel = 6000
            options.months = 2
            options.auditRate = withPlans ? 0.3 : 0
            let output = try SimulatedFleet.ingest(into: app) { $0 = options }
            var calibration = RecalibrationOptions()
            calibration.asOf = output.now
            let outcome = try #require(try app.recalibrate(models: nil, options: calibration).first)
            let version = try #require(try app.calibrations().first { $0.versionID == outcome.versionID })
            let basis = try #require(version.evidence["guarantee_basis"])
            #expect(basis["sample"] == .string(withPlans ? "audit" : "all labels"))
            if withPlans {
                #expect((basis["audited_fit_rows"]?.integerValue ?? 0) >= 200)
                #expect(!outcome.message.contains("non-random"))
            } else {
                #expect(outcome.status == .proposed)
                #expect(outcome.message.contains("the guarantee rests on non-random labels"))
            }
        }
    }

    @Test("200 simulated months with known truth: PPI++ covers the true accuracy in ≥ 93 %, the naive figure is biased, the flag fires")
    func coverageWithKnownTruth() throws {
        var random = Xoshiro256StarStar(seed: 2026)
        var covered = 0
        var naiveBias = 0.0
        var flags = 0
        var naiveOutside = 0
        let months = 200
        for month in 0..<months {
            let seed = (0..<32).map { _ in UInt8(random.index(below: 256)) }
            let plan = AuditPlan(
                planID: 1, model: "sim", rate: 0.1, seed: seed, seedSHA256: "", effectiveFrom: Timestamp(microseconds: 0),
                createdBy: "test", reason: "", planHash: "", createdAt: Timestamp(microseconds: 0))
            var rows: [ScoredPrediction] = []
            var truth: [Bool] = []
            for index in 0..<2000 {
                let id = "m\(month)-\(index)"
                let confidence = 0.25 + 0.74 * random.uniform()
                // Overconfident: the chance of being right is below the confidence, more so when it is high.
                let correct = random.uniform() < confidence - 0.1 * confidence * confidence
                truth.append(correct)
                let member = AuditMembership.isMember(seed: seed, predictionID: id, rate: 0.1)
                let reviewed = random.uniform() < (member ? 0.97 : (confidence < 0.6 ? 0.85 : 0.08))
                rows.append(
                    ScoredPrediction(
                        predictionID: id, model: "sim", occurredAt: Timestamp(microseconds: Int64(index)), site: nil, attributes: [],
                        optionCount: 2,
                        predicted: 0, optionLogits: nil, optionProbs: [confidence, 1 - confidence],
                        label: reviewed ? (correct ? 0 : 1) : nil,
                        labelReviewedAt: nil, scores: [], escalated: confidence < 0.6, perturbationKind: nil, perturbationOf: nil,
                        ingestedAt: Timestamp(microseconds: 0), modelVersion: nil))
            }
            let design = try #require(DesignSample(clean: rows, schedule: AuditPlanSchedule(plans: [plan]), from: nil, to: nil))
            let naive = LabeledSet(rows).accuracy
            let estimate = AuditApp.auditEstimate(
                clean: rows, design: design, naiveAccuracy: naive, temperature: 1, orientations: [:],
                probes: [], cleanLookup: [:])
            let trueAccuracy = Double(truth.filter { $0 }.count) / Double(truth.count)
            let ppi = try #require(estimate.ppi)
            if ppi.low <= trueAccuracy && trueAccuracy <= ppi.high { covered += 1 }
            naiveBias += (naive ?? 0) - trueAccuracy
            if estimate.selectionFlag { flags += 1 }
            if let naive, naive < ppi.low || naive > ppi.high { naiveOutside += 1 }
        }
        let coverage = Double(covered) / Double(months)
        #expect(coverage >= 0.93, "PPI++ 95 % interval covered the true accuracy in \(covered) of \(months) months")
        #expect(naiveBias / Double(months) < -0.03, "the naive figure is biased low: mean \(naiveBias / Double(months))")
        #expect(flags == naiveOutside && flags > months / 2, "the flag fires exactly when the naive figure leaves the interval (\(flags))")
    }
}
