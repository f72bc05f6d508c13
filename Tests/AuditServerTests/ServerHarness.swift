import AuditApp
import AuditCore
import AuditServer
import AuditStore
import Foundation
import TestSupport

/// A real server on a free loopback port over a fresh database, stopped by `stop()`.
final class ServerHarness: Sendable {
    let app: AuditApp
    let service: AuditService
    let client: HTTPClient
    private let task: Task<Void, any Error>

    private init(app: AuditApp, service: AuditService, port: Int, task: Task<Void, any Error>) {
        self.app = app
        self.service = service
        self.client = HTTPClient(port: port)
        self.task = task
    }

    /// Starts a server over `database` (a fresh migrated one by default).
    static func start(
        database: AuditDatabase? = nil, limits: ServerLimits = ServerLimits(), connections: Int = 2
    ) async throws -> ServerHarness {
        let app = AuditApp(database: try database ?? TestDatabase.createMigrated(prefix: "http"))
        // No token cache: a revocation must show at once in tests.
        let service = try AuditService(app: app, connections: connections, tokenCacheSeconds: 0)
        let server = AuditHTTPServer(service: service, configuration: .init(port: 0, limits: limits))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        // On threads of its own, so that other suites' blocking work on the cooperative pool cannot stall its answers.
        let task = Task(executorPreference: DedicatedExecutor.shared) {
            try await server.run(gracefulShutdownSignals: []) { port in continuation.yield(port) }
        }
        guard let port = await ports.first(where: { _ in true }) else { throw HTTPClient.Failure(description: "server did not start") }
        return ServerHarness(app: app, service: service, port: port, task: task)
    }

    /// Runs `body` against a fresh server and stops the server afterwards, whether `body` throws or not.
    static func with(limits: ServerLimits = ServerLimits(), _ body: (ServerHarness) async throws -> Void) async throws {
        let server = try await start(limits: limits)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests, close the pool.
    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// A new token with `scopes`.
    func token(_ scopes: AccessScope..., name: String = "test") throws -> String {
        try app.createToken(name: name, scopes: scopes).secret
    }

    func send(
        _ method: String, _ path: String, token: String?, body: String? = nil, headers: [String: String] = [:]
    ) async throws -> HTTPReply {
        try await client.send(method, path, token: token, headers: headers, body: body)
    }
}

extension HTTPReply {
    /// The body parsed as JSON (fails the test when it is not).
    func json() throws -> JSONValue {
        try JSONParser.parse(body)
    }
}
