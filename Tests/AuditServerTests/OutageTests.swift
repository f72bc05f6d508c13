import AuditApp
import AuditCore
import AuditServer
import AuditStore
import Foundation
import Testing
import TestSupport

/// What the service does on a bad day: the database goes away and comes back; the process is told to stop.
@Suite("HTTP outages and shutdown")
struct OutageTests {
    /// A private cluster (not the shared test cluster, which other tests are using) in a fresh folder.
    static func privateCluster() throws -> EmbeddedCluster {
        let home = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vlm-audit-outage-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.path)
        var cluster = EmbeddedCluster(home: home)
        cluster.extraSettings = ["fsync = off"]
        try cluster.start()
        return cluster
    }

    @Test("while PostgreSQL is down requests get 503 at once and /readyz says so; the service recovers by itself")
    func databaseOutage() async throws {
        let cluster = try Self.privateCluster()
        defer {
            _ = try? cluster.stop()
            try? FileManager.default.removeItem(at: cluster.home)
        }
        let database = AuditDatabase(location: .external(conninfo: cluster.conninfo), migrationsFolder: TestDatabase.migrations)
        try database.migrate(database.connect())
        let server = try await ServerHarness.start(database: database)
        var client = server.client
        // A request that hangs during the outage fails the test; generous, because CI runs every suite at once on 2 cores.
        client.timeoutSeconds = 20
        do {
            let token = try server.token(.ingest, .read)
            let first = try await client.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "o-1"))
            #expect(first.status == 201)

            try cluster.stop()
            let during = try await client.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "o-2"))
            #expect(during.status == 503)
            #expect(during.headers["retry-after"] == "1")
            #expect(try during.json()["code"] == .string("unavailable"))
            #expect(try await client.send("GET", "/readyz").status == 503)
            #expect(try await client.send("GET", "/healthz").status == 200)
            // The metrics scrape goes on through the outage with the token known from before it (the harness caches no
            // token, so this is the stale path), and shows the outage.
            let metrics = try await client.send("GET", "/metrics", token: token)
            #expect(metrics.status == 200)
            #expect(
                metrics.text.contains("vlm_audit_ready 0") && metrics.text.contains("vlm_audit_db_unavailable_total 1"), "\(metrics.text)")
            #expect(
                try await client.send("GET", "/v1/models", token: token).status == 503, "only the scrape accepts a token it cannot look up")

            try cluster.start()
            var ready = false
            for _ in 0..<40 where !ready {
                ready = try await client.send("GET", "/readyz").status == 200
                if !ready { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(ready)
            // The client retries what failed: nothing is lost, nothing doubled.
            let retried = try await client.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "o-2"))
            #expect(retried.status == 201)
            let again = try await client.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "o-1"))
            #expect(again.status == 200)
            #expect(try RecordCounts.read(database.connect()).predictions == 2)
            #expect(try server.app.verify().problems.isEmpty)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("SIGTERM lets the request in flight finish (its records land and it gets its answer), then the process exits 0")
    func gracefulShutdown() async throws {
        let database = try TestDatabase.createMigrated(prefix: "sigterm")
        guard case .external(let conninfo) = database.location else { return }
        let app = AuditApp(database: database)
        let token = try app.createToken(name: "load", scopes: [.ingest]).secret
        let log = NSTemporaryDirectory() + "serve-\(UUID().uuidString).log"
        let child = try CLI.start(["serve", "--port", "0", "--migrations", TestDatabase.migrations.path], conninfo: conninfo, log: log)
        var port: Int?
        for _ in 0..<100 where port == nil {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on http://") }),
                let number = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                port = number
            }
            if port == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let bound = try #require(port, "the server never said where it listens")
        let batch = "[" + (0..<3000).map { SampleRecords.prediction(id: "g-\($0)") }.joined(separator: ",") + "]"
        // The body's last kilobyte follows 1.5 s after the rest, and the signal goes once the rest is on the server's
        // socket, so that it certainly finds the request in flight (a fixed pause raced: under load the request had
        // not arrived, had not even connected, or had already been answered).
        let (sent, sending) = AsyncStream.makeStream(of: Void.self)
        var client = HTTPClient(port: bound)
        client.lastBytesDelay = 1.5
        client.whileLastBytesHeld = { sending.yield() }
        async let reply = client.send("POST", "/v1/predictions", token: token, body: batch)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in sent { return } }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw HTTPClient.Failure(description: "the request never reached the server")
            }
            try await group.next()
            group.cancelAll()
        }
        try await Task.sleep(for: .milliseconds(300))
        child.signal(SIGTERM)
        let answer = try await reply
        #expect(answer.status == 200)
        #expect(try answer.json()["inserted"] == .integer(3000))
        #expect(child.wait() == 0)
        #expect(try RecordCounts.read(database.connect()).predictions == 3000)
    }
}
