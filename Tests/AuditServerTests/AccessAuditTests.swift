import AuditApp
import AuditCore
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// The access log over a real socket and from the command line (docs/access-audit.md).
@Suite("access audit")
struct AccessAuditTests {
    /// The access events stored after `events` already were (the service's buffer written first).
    private func newEvents(_ server: ServerHarness, after count: Int) async throws -> [AccessEvent] {
        await server.service.flushAccessLog()
        return Array(try server.app.accessLog().dropFirst(count))
    }

    @Test("every HTTP read leaves exactly one access event naming who, what and how it ended; refused calls leave denied ones")
    func everyReadLeavesOneEvent() async throws {
        try await ServerHarness.with { server in
            _ = try ReadEndpointTests.populate(server.app)
            let reader = try server.token(.read, name: "dashboard")
            let ingestOnly = try server.token(.ingest, name: "pacs-bridge")
            let model = FleetSimulator.names(count: 2)[0]
            let readerID = try #require(try server.app.tokens().first { $0.name == "dashboard" }?.id)
            let ingestID = try #require(try server.app.tokens().first { $0.name == "pacs-bridge" }?.id)
            let cases:
                [(
                    path: String, token: String?, actor: String, action: String, outcome: AccessOutcome, status: Int,
                    object: [String: String]
                )] = [
                    ("/v1/models", reader, "token:dashboard#\(readerID)", "GET /v1/models", .allowed, 200, [:]),
                    (
                        "/v1/models/\(model)/evaluation?from=2026-01-01", reader, "token:dashboard#\(readerID)",
                        "GET /v1/models/{model}/evaluation", .allowed, 200, ["model": model, "from": "2026-01-01"]
                    ),
                    (
                        "/v1/models/\(model)/calibration", reader, "token:dashboard#\(readerID)", "GET /v1/models/{model}/calibration",
                        .allowed, 200, ["model": model]
                    ),
                    (
                        "/v1/models/\(model)/drift", reader, "token:dashboard#\(readerID)", "GET /v1/models/{model}/drift", .allowed, 200,
                        ["model": model]
                    ),
                    (
                        "/v1/models/\(model)/audit/worklist?limit=5", reader, "token:dashboard#\(readerID)",
                        "GET /v1/models/{model}/audit/worklist", .allowed, 200, ["model": model, "limit": "5"]
                    ),
                    (
                        "/v1/models/no-such-model/evaluation", reader, "token:dashboard#\(readerID)", "GET /v1/models/{model}/evaluation",
                        .failed, 404, ["model": "no-such-model"]
                    ),
                    ("/v1/models", nil, "anonymous", "GET /v1/models", .denied, 401, [:]),
                    ("/v1/models", "vla_not-a-real-token", "anonymous", "GET /v1/models", .denied, 401, [:]),
                    (
                        "/v1/models/\(model)/evaluation", ingestOnly, "token:pacs-bridge#\(ingestID)", "GET /v1/models/{model}/evaluation",
                        .denied, 403, ["model": model]
                    ),
                ]
            var stored = try server.app.accessLog().count
            for expected in cases {
                let reply = try await server.send("GET", expected.path, token: expected.token)
                #expect(reply.status == expected.status, "\(expected.path)")
                let events = try await newEvents(server, after: stored)
                #expect(events.count == 1, "\(expected.path): \(events.map(\.action))")
                stored += events.count
                guard let event = events.first else { continue }
                #expect(event.channel == .http && event.actor == expected.actor && event.action == expected.action, "\(event)")
                #expect(event.outcome == expected.outcome && event.status == expected.status, "\(expected.path)")
                #expect(event.object == expected.object, "\(expected.path)")
                #expect(event.client == "127.0.0.1")
                #expect(!event.databaseRole.isEmpty)
            }
            // The health endpoints and an accepted ingest are not reads of record-level data; a refused ingest is logged.
            _ = try await server.send("GET", "/healthz", token: nil)
            _ = try await server.send("POST", "/v1/labels", token: reader, body: "[]")
            let refusedIngest = try await newEvents(server, after: stored)
            #expect(refusedIngest.map(\.action) == ["POST /v1/labels"] && refusedIngest.first?.outcome == .denied)
            #expect(try server.app.verify().intact)
        }
    }

    @Test("a burst of reads is written in a few batches, in order, and the chain verifies")
    func burstIsBatched() async throws {
        try await ServerHarness.with { server in
            let token = try server.token(.read, name: "burst")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<60 { group.addTask { _ = try await server.send("GET", "/v1/models", token: token) } }
                try await group.waitForAll()
            }
            await server.service.flushAccessLog()
            let events = try server.app.accessLog()
            #expect(events.count == 60)
            let ids = events.compactMap(\.eventID)
            #expect(ids.count == 60 && ids == ids.sorted())
            #expect(server.service.accessLogCounts.written == 60 && server.service.accessLogCounts.dropped == 0)
            #expect(try server.app.verify().intact)
        }
    }

    @Test("command-line reads and exports leave one event each, and tampering with the access log is found by verify")
    func commandLineAndTamper() throws {
        let database = try TestDatabase.createMigrated(prefix: "access")
        let conninfo = try database.conninfo()
        let app = AuditApp(database: database)
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "p1")])], options: IngestOptions(kind: .predictions))
        let commands: [(arguments: [String], action: String, outcome: AccessOutcome)] = [
            (["evaluate", "--model", "m1"], "cli evaluate", .allowed),
            (["calibration", "list"], "cli calibration list", .allowed),
            (
                [
                    "report", "monthly", "--month", "2026-10", "--out",
                    FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID())").path,
                ], "cli report monthly", .allowed
            ),
            (["verify"], "cli verify", .allowed),
            (
                [
                    "export", "fhir", "--from", "2026-01-01", "--to", "2027-01-01", "--out",
                    FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID()).json").path,
                ],
                "cli export fhir", .allowed
            ),
            (["calibration", "card", "99"], "cli calibration card", .failed),
            (["evaluate", "--model", "unknown"], "cli evaluate", .failed),
            (["access-log", "--json"], "cli access-log", .allowed),
        ]
        var stored = 0
        for command in commands {
            let run = try CLI.run(command.arguments, conninfo: conninfo)
            #expect((run.status == 0) == (command.outcome == .allowed), "\(command.arguments): \(run.output)")
            let events = Array(try app.accessLog().dropFirst(stored))
            #expect(events.count == 1, "\(command.arguments)")
            stored += events.count
            #expect(events.first?.action == command.action && events.first?.outcome == command.outcome && events.first?.channel == .cli)
            #expect(events.first?.actor.hasPrefix("os:") == true)
        }
        #expect(try app.verify().intact)
        let connection = try database.connect()
        try connection.execute(
            "SET session_replication_role = replica; UPDATE access_events SET actor = 'os:someone-else' WHERE event_id = 2; "
                + "SET session_replication_role = origin")
        #expect(try app.verify().problems.contains { $0.description.contains("access event 2: does not match the access chain") })
    }
}
