import ArgumentParser
import AuditApp
import AuditServer
import ServiceLifecycle
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API (docs/http-api.md): ingestion, labels, calibration look-up, evaluations, drift, reports.",
        discussion: """
            Every path but /healthz and /readyz needs `Authorization: Bearer <token>` (see `vlm-audit token create`).
            SIGTERM or SIGINT stops accepting connections, finishes the requests in flight and closes the pool.
            """)
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one and prints it).") var port = 8080
    @Option(help: "Database connections in the pool.") var connections = 4
    @Option(help: "Largest request body, in MiB.") var maxBodyMib = 32
    @Option(help: "Most records in one POST.") var maxBatch = 10_000
    @Option(help: "Seconds a database statement may run before it is cancelled.") var statementTimeout = 30
    @Flag(help: "Serve /metrics without a token (otherwise the read scope is needed).") var publicMetrics = false
    @Option(help: "Recalibrate every model at this interval, e.g. 24h or 7d (default: never; use cron instead).")
    var recalibrateEvery: String?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must lie in 0…65535") }
        guard connections >= 1, connections <= 64 else { throw ValidationError("--connections must lie in 1…64") }
        guard maxBodyMib >= 1, maxBatch >= 1, statementTimeout >= 1 else {
            throw ValidationError("--max-body-mib, --max-batch and --statement-timeout must be positive")
        }
        if let recalibrateEvery, parseInterval(recalibrateEvery) == nil {
            throw ValidationError("--recalibrate-every must look like 6h or 7d, not \(recalibrateEvery)")
        }
    }

    func run() async throws {
        let service = try AuditService(app: database.app(), connections: connections, statementTimeoutSeconds: statementTimeout)
        do {
            try service.checkStartup()
        } catch {
            await service.shutdown()
            printError("vlm-audit serve: cannot start: \(error)")
            throw ExitCode.failure
        }
        var companions: [any Service] = []
        if let interval = recalibrateEvery.flatMap(parseInterval) {
            var options = RecalibrationOptions()
            options.fittedBy = "vlm-audit serve --recalibrate-every \(recalibrateEvery!)"
            companions.append(RecalibrationScheduler(service: service, intervalSeconds: interval, options: options))
        }
        let server = AuditHTTPServer(
            service: service,
            configuration: .init(
                host: host, port: port,
                limits: ServerLimits(maximumBodyBytes: maxBodyMib << 20, maximumBatchRecords: maxBatch, publicMetrics: publicMetrics)),
            companions: companions)
        try await server.run { port in
            FileHandle.standardError.write(Data("vlm-audit serve: listening on http://\(host):\(port)\n".utf8))
        }
    }
}

/// Parses `90m`, `6h` or `7d` into seconds.
func parseInterval(_ text: String) -> Double? {
    guard let unit = text.last, let value = Double(text.dropLast()), value > 0 else { return nil }
    switch unit {
    case "m": return value * 60
    case "h": return value * 3600
    case "d": return value * 86_400
    default: return nil
    }
}
