import AuditApp
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `vlm-audit serve`: the HTTP API over an ``AuditService``.
///
/// ```swift
/// let server = AuditHTTPServer(service: service, configuration: .init(port: 8080))
/// try await server.run()   // until SIGTERM or SIGINT; in-flight requests finish, then the pool closes
/// ```
public struct AuditHTTPServer: Sendable {
    /// Where to listen and what to accept.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port (tests); ``AuditHTTPServer/run(onListening:)`` reports the one bound.
        public var port: Int
        public var limits: ServerLimits
        /// Seconds before an idle keep-alive connection is closed.
        public var idleTimeoutSeconds: Int64

        public init(host: String = "127.0.0.1", port: Int = 8080, limits: ServerLimits = ServerLimits(), idleTimeoutSeconds: Int64 = 60) {
            self.host = host
            self.port = port
            self.limits = limits
            self.idleTimeoutSeconds = idleTimeoutSeconds
        }
    }

    public let service: AuditService
    /// This server's metrics (`GET /metrics`).
    let metrics = ServerMetrics()
    public let configuration: Configuration
    /// Extra services run beside the server and shut down with it (e.g. the recalibration scheduler).
    public let companions: [any Service]
    let logger: Logger

    public init(
        service: AuditService, configuration: Configuration, companions: [any Service] = [],
        logger: Logger = Logger(label: "vlm-audit.http")
    ) {
        self.service = service
        self.configuration = configuration
        self.companions = companions
        self.logger = logger
    }

    /// The router with every endpoint and middleware.
    func makeRouter() -> Router<AuditRequestContext> {
        let routes = Routes(service: service, limits: configuration.limits, metrics: metrics)
        let table = Router(context: AuditRequestContext.self)
        routes.register(on: table)
        let router = Router(context: AuditRequestContext.self)
        let routeTable = RouteTable(table.routes.map { ($0.method.rawValue, $0.path.description) })
        router.middlewares.add(RequestMetricsMiddleware(metrics: metrics))
        router.middlewares.add(ErrorMiddleware(routes: routeTable))
        var open: Set<String> = ["/healthz", "/readyz"]
        if configuration.limits.publicMetrics { open.insert("/metrics") }
        router.middlewares.add(AuthenticationMiddleware(service: service, openPaths: open, routes: routeTable))
        router.middlewares.add(AccessAuditMiddleware(service: service, routes: routeTable))
        routes.register(on: router)
        return router
    }

    /// Every route as `METHOD /path/{parameter}`, the notation of the OpenAPI document (docs/openapi.json).
    public var routeList: [String] {
        RouteTable(makeRouter().routes.map { ($0.method.rawValue, $0.path.description) }).routes.map { "\($0.method) \($0.template)" }
            .sorted()
    }

    /// Serves until SIGTERM or SIGINT (or the task is cancelled), then stops accepting, lets in-flight requests
    /// finish, and closes the database pool. `onListening` receives the bound port.
    public func run(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let application = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeoutSeconds))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "vlm-audit"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [application] + companions, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        do {
            try await group.run()
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }
}
