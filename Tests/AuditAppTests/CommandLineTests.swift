import AuditApp
import AuditCore
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// The command line end to end: the built executable, real files, a real database, exit codes and JSON.
@Suite("command line", .serialized)
struct CommandLineTests {
    @Test("ingest exits 0 when all landed, 1 when some were quarantined, and --json prints the summary")
    func ingestExitCodes() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        let good = try SampleRecords.file([SampleRecords.prediction(id: "a"), SampleRecords.prediction(id: "b")])
        let ok = try CLI.run(["ingest", "predictions", good], conninfo: conninfo)
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("2 stored"))

        let mixed = try SampleRecords.file([SampleRecords.prediction(id: "c"), SampleRecords.prediction(id: "d", predicted: 8)])
        let rejects = FileManager.default.temporaryDirectory.appendingPathComponent("rejects-\(UUID().uuidString).jsonl").path
        let partial = try CLI.run(["ingest", "predictions", "--json", "--rejects", rejects, mixed], conninfo: conninfo)
        #expect(partial.status == 1)
        let jsonLine = try #require(partial.output.split(separator: "\n").first { $0.hasPrefix("{") })
        let summary = try JSONDecoder().decode(IngestSummary.self, from: Data(jsonLine.utf8))
        #expect(summary.inserted == 1 && summary.quarantined == 1)
        #expect(summary.topReasons.first?.field == "predicted")
        let rejected = try String(contentsOfFile: rejects, encoding: .utf8)
        #expect(rejected.contains(#""reason":"predicted=8 but only 4 options""#) && rejected.contains(#""line":2"#))
    }

    @Test("verify exits 0 on an intact chain and 1 naming the batch and row after tampering")
    func verifyExitCodes() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        _ = try CLI.run(["ingest", "predictions", try SampleRecords.file([SampleRecords.prediction(id: "a")])], conninfo: conninfo)
        let intact = try CLI.run(["verify", "--json"], conninfo: conninfo)
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains(#""intact":true"#) && intact.output.contains("chain head: "))
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("SET session_replication_role = replica; UPDATE predictions SET model = 'other'")
        let broken = try CLI.run(["verify"], conninfo: conninfo)
        #expect(broken.status == 1)
        #expect(broken.output.contains("BROKEN") && broken.output.contains("batch 1, prediction a: row content does not match"))
    }

    @Test(
        "usage errors exit 2",
        arguments: [["ingest", "predictions"], ["no-such-command"], ["ingest", "labels", "--batch-size", "0", "x.jsonl"]])
    func usageErrors(arguments: [String]) throws {
        let result = try CLI.run(arguments, conninfo: "host=/nonexistent")
        #expect(result.status == 2, "\(result.output)")
    }

    @Test("a missing file fails with exit 1 and a clear message")
    func missingFile() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        let result = try CLI.run(["ingest", "predictions", "/no/such/file.jsonl"], conninfo: conninfo)
        #expect(result.status == 1)
        #expect(result.output.contains("cannot open /no/such/file.jsonl"))
    }

    @Test("standard input can be ingested with -")
    func standardInput() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        let path = try SampleRecords.file([SampleRecords.prediction(id: "s1")])
        let result = try ProcessRunner.run(
            "/bin/sh", ["-c", "\"$0\" ingest predictions - < \"$1\"", CLI.executable, path],
            environment: CLI.environment(conninfo: conninfo))
        #expect(result.status == 0, "\(result.output)")
        #expect(try RecordCounts.read(try PQConnection(conninfo: conninfo)).predictions == 1)
    }

    @Test("kill -9 in the middle of an ingest, then the same command again: exactly the right rows")
    func crashSafety() throws {
        let lines = (0..<20_000).map { index in
            index % 97 == 5 ? SampleRecords.prediction(id: "r\(index)", predicted: 9) : SampleRecords.prediction(id: "r\(index)")
        }
        let path = try SampleRecords.file(lines)
        let expectedGood = lines.count - (0..<20_000).filter { $0 % 97 == 5 }.count
        var partialCounts: [Int] = []
        for (round, delay) in [0.4, 0.8, 1.2].enumerated() {  // an uninterrupted run takes 2.7-3.0 s in a debug build
            let conninfo = try TestDatabase.createEmpty(prefix: "crash")
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString).log").path
            let child = try CLI.start(["ingest", "predictions", "--batch-size", "500", path], conninfo: conninfo, log: log)
            Thread.sleep(forTimeInterval: delay)
            child.signal(SIGKILL)
            #expect(child.wait() == 128 + SIGKILL, "round \(round): the ingest finished before it was killed")
            let survivor = try PQConnection(conninfo: conninfo)
            partialCounts.append(try RecordCounts.read(survivor).predictions)
            #expect(partialCounts.last! < expectedGood, "round \(round): killed mid-ingest")
            // No partial batch: what is stored is exactly what the committed batch headers account for.
            let committed = try survivor.query("SELECT coalesce(sum(inserted_count), 0) FROM ingest_batches").int(0, 0)
            #expect(committed == partialCounts.last!, "round \(round)")
            let rerun = try CLI.run(["ingest", "predictions", "--batch-size", "500", path], conninfo: conninfo)
            #expect(rerun.status == 1, "round \(round): the rejects make the exit status 1")
            let connection = try PQConnection(conninfo: conninfo)
            let counts = try RecordCounts.read(connection)
            #expect(counts.predictions == expectedGood, "round \(round)")
            #expect(counts.quarantined == lines.count - expectedGood, "round \(round): each reject quarantined once")
            let distinct = try connection.query("SELECT count(DISTINCT raw_hash) FROM quarantine").int(0, 0)
            #expect(distinct == counts.quarantined)
            #expect(try ChainVerifier.verify(connection).intact, "round \(round)")
        }
        #expect(partialCounts.contains { $0 > 0 }, "at least one kill should land after some batches committed: \(partialCounts)")
    }

    @Test("a small demo from a clean working folder writes the report, reproduces the seed's findings and verifies")
    func demo() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "demo")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // The findings rest on the audit sample: a large share keeps this small fleet's sample big enough to show them.
        let arguments = [
            "demo", "--models", "5", "--per-model", "1500", "--audit-rate", "0.6", "--data", folder + "/data",
            "--out", folder + "/Reports", "--allow-external-database",
        ]
        let refused = try CLI.run(Array(arguments.dropLast()), conninfo: conninfo)
        #expect(refused.status == 1 && refused.output.contains("the demo runs only on its own embedded cluster"), "\(refused.output)")
        #expect(
            try PQConnection(conninfo: conninfo).query("SELECT to_regclass('predictions') IS NULL").bool(0, 0) == true,
            "a refused demo touches nothing")
        let first = try CLI.run(arguments, conninfo: conninfo)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("verify: intact"))
        let reportFolder = folder + "/Reports/2026-11"
        for name in ["report.md", "report.html", "report.json"] {
            #expect(FileManager.default.fileExists(atPath: reportFolder + "/" + name), "\(name) missing")
        }
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: reportFolder + "/report.json"))), maximumDepth: 64)
        guard case .array(let models)? = json["models"] else { Issue.record("no models in the report"); return }
        #expect(models.count == 5)
        #expect(json["integrity"]?["intact"] == .bool(true))
        let rho = try #require(json["fleet"]?["spearman_accuracy_auroc"]?.doubleValue)
        #expect(rho > 0, "UE quality should track accuracy: ρ = \(rho)")
        for model in models {
            let nota = try #require(model["nota"])
            let clean = try #require(nota["clean_accuracy"]?.doubleValue)
            let probe = try #require(nota["nota_accuracy"]?.doubleValue)
            #expect(probe < clean, "NOTA accuracy should collapse")
        }
        // Re-running is safe: nothing is stored twice and the chain stays intact.
        let second = try CLI.run(arguments, conninfo: conninfo)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("0 new") && second.output.contains("verify: intact"))
    }
}

/// `vlm-audit audit …` end to end: exit codes, JSON, and bad input refused with nothing stored.
@Suite("command line: audit")
struct AuditCommandLineTests {
    @Test("plan create, list and worklist; a bad rate, seed or model exits non-zero and stores nothing")
    func auditCommands() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        _ = try CLI.run(
            [
                "ingest", "predictions",
                try SampleRecords.file(
                    (0..<30).map {
                        SampleRecords.prediction(id: "c-\($0)", at: String(format: "2026-10-05T10:%02d:00Z", $0))
                    }),
            ], conninfo: conninfo)
        let seed = String(repeating: "5a", count: 32)
        let created = try CLI.run(
            [
                "audit", "plan", "create", "--model", "m1", "--rate", "0.3", "--effective-from", "2026-10-01",
                "--seed", seed, "--json",
            ], conninfo: conninfo)
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains(#""seed_sha256":""#) && created.output.contains("created audit plan"))
        for (arguments, message) in [
            (["--model", "m1", "--rate", "0"], "--rate must lie in (0, 1]"),
            (["--model", "m1", "--rate", "0.2", "--seed", "abc"], "64 hex digits"),
            (["--model", "nobody", "--rate", "0.2"], "unknown model 'nobody'"),
            (["--model", "m1", "--rate", "0.2", "--effective-from", "2026-10-01"], "already has plan"),
        ] {
            let refused = try CLI.run(["audit", "plan", "create"] + arguments, conninfo: conninfo)
            #expect(refused.status != 0 && refused.output.contains(message), "\(arguments): \(refused.output)")
        }
        let list = try CLI.run(["audit", "plan", "list", "--json"], conninfo: conninfo)
        #expect(list.status == 0)
        let plans = try JSONParser.parse(String(list.output.split(separator: "\n").first { $0.hasPrefix("[") } ?? ""))
        guard case .array(let entries) = plans else { Issue.record("no plan list"); return }
        #expect(entries.count == 1 && entries[0]["seed"] == .string(seed))
        let worklist = try CLI.run(["audit", "worklist", "--model", "m1", "--json"], conninfo: conninfo)
        #expect(worklist.status == 0)
        let document = try JSONParser.parse(String(worklist.output.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""))
        let expected = (0..<30).filter {
            AuditMembership.isMember(seed: try! AuditSeed.parse(hex: seed), predictionID: "c-\($0)", rate: 0.3)
        }
        #expect(document["count"]?.integerValue == Int64(expected.count))
        let verify = try CLI.run(["verify"], conninfo: conninfo)
        #expect(verify.status == 0 && verify.output.contains("audit plan chain head: "), "\(verify.output)")
    }
}

/// A model name with no stored prediction is an error, never an empty answer or a stored run about nothing.
@Suite("command line: unknown models")
struct UnknownModelCommandLineTests {
    @Test("evaluate, drift, recalibrate and audit worklist name the unknown model, exit 1, and store nothing")
    func unknownModel() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        _ = try CLI.run(["ingest", "predictions", try SampleRecords.file([SampleRecords.prediction(id: "u-1")])], conninfo: conninfo)
        for arguments in [
            ["evaluate", "--model", "no-such-model", "--json"], ["drift", "--model", "no-such-model", "--json"],
            ["recalibrate", "--model", "no-such-model"], ["audit", "worklist", "--model", "no-such-model"],
        ] {
            let result = try CLI.run(arguments, conninfo: conninfo)
            #expect(result.status == 1, "\(arguments): \(result.output)")
            #expect(result.output.contains("unknown model 'no-such-model'"), "\(arguments): \(result.output)")
        }
        let connection = try PQConnection(conninfo: conninfo)
        #expect(try connection.query("SELECT count(*) FROM drift_runs").int(0, 0) == 0)
        #expect(try connection.query("SELECT count(*) FROM calibration_versions").int(0, 0) == 0)
    }
}

/// A check that could not run never reads as passed.
@Suite("command line: partial verification")
struct PartialVerifyCommandLineTests {
    @Test("verify by a role that may not create the scratch schema exits 1 and says PARTIALLY VERIFIED; --json says intact false")
    func partialVerify() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        _ = try CLI.run(["ingest", "predictions", try SampleRecords.file([SampleRecords.prediction(id: "v-1")])], conninfo: conninfo)
        let superuser = try PQConnection(conninfo: conninfo)
        let role = "verifier_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))"
        try superuser.execute("CREATE ROLE \(role) LOGIN IN ROLE vlm_audit_app")
        let asVerifier = conninfo.replacingOccurrences(of: "user=\(TestDatabase.cluster.superuser)", with: "user=\(role)")
        let result = try CLI.run(["verify", "--json"], conninfo: asVerifier)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("PARTIALLY VERIFIED") && result.output.contains("schema: NOT CHECKED"), "\(result.output)")
        #expect(result.output.contains(#""intact":false"#) && result.output.contains(#""complete":false"#), "\(result.output)")
        let full = try CLI.run(["verify", "--json"], conninfo: conninfo)
        #expect(full.status == 0 && full.output.contains(#""intact":true"#) && full.output.contains(#""complete":true"#), "\(full.output)")
    }
}

/// `serve` stops at start-up on a failure retrying cannot fix, with the server's message and no password.
@Suite("command line: serve start-up")
struct ServeStartupCommandLineTests {
    @Test(
        "a wrong password or a missing database stops serve at once, exit 1, with the reason",
        arguments: [
            ("password=Wr0ng-Secret-9", "password authentication failed"), ("dbname=no_such_database_x", "does not exist"),
        ])
    func permanentFailuresStopStartup(setting: String, reason: String) throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "cli")
        let admin = try PQConnection(conninfo: conninfo)
        try admin.execute(
            """
            DO $$ BEGIN CREATE ROLE \(TestDatabase.passwordRole) LOGIN PASSWORD 'right-secret';
            EXCEPTION WHEN duplicate_object THEN NULL; END $$
            """)
        let target =
            setting.hasPrefix("password=")
            ? conninfo.replacingOccurrences(of: "user=\(TestDatabase.cluster.superuser)", with: "user=\(TestDatabase.passwordRole)") + " "
                + setting
            : conninfo + " " + setting
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).log").path
        let child = try CLI.start(["serve", "--port", "0"], conninfo: target, log: log)
        var status: Int32?
        for _ in 0..<200 where status == nil {
            var raw: Int32 = 0
            if waitpid(child.processID, &raw, WNOHANG) == child.processID { status = (raw >> 8) & 0xff } else { usleep(100_000) }
        }
        if status == nil {
            child.signal(SIGKILL)
            _ = child.wait()
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(status == 1, "serve kept running: \(output)")
        #expect(output.contains("cannot start") && output.contains(reason), "\(output)")
        #expect(!output.contains("listening") && !output.contains("Wr0ng-Secret-9"), "\(output)")
    }
}

/// What `--help` and usage errors tell a new user.
@Suite("command line: help and usage")
struct HelpCommandLineTests {
    @Test(
        "help names every exit status, recalibrate's required choice, and each command's own options; a bad value shows that command's usage"
    )
    func help() throws {
        let conninfo = "host=/nonexistent-vlm-audit-socket dbname=x"
        let top = try CLI.run(["--help"], conninfo: conninfo)
        #expect(top.output.contains("3 drift ALERT"), "\(top.output)")
        let recalibrate = try CLI.run(["recalibrate", "--help"], conninfo: conninfo)
        #expect(recalibrate.output.contains("vlm-audit recalibrate (--model <model> | --all)"), "\(recalibrate.output)")
        let labels = try CLI.run(["ingest", "labels", "--help"], conninfo: conninfo)
        #expect(!labels.output.contains("--connections") && labels.output.contains("--delimiter"), "\(labels.output)")
        let predictions = try CLI.run(["ingest", "predictions", "--help"], conninfo: conninfo)
        #expect(predictions.output.contains("--connections"))
        let drift = try CLI.run(["drift", "--current", "yesterday"], conninfo: conninfo)
        #expect(
            drift.status == 2 && drift.output.contains("--current must be FROM..TO") && drift.output.contains("Usage: vlm-audit drift"),
            "\(drift.output)")
    }
}
