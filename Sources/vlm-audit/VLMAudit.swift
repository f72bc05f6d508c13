import ArgumentParser
import AuditApp
import Foundation
import Logging

/// The `vlm-audit` command line.
@main
struct VLMAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-audit",
        abstract: "Clinical audit log and calibration store for deployed vision-language models.",
        discussion: """
            Connection: DATABASE_URL or the standard libpq settings (PGHOST, PGPORT, PGUSER, …); with none set,
            an embedded PostgreSQL cluster in ./.vlm-audit (or VLM_AUDIT_HOME) is used and started on demand.
            Exit status: 0 success, 1 failure or check failed (verify: broken or only partially verified), 2 usage error,
            3 drift ALERT (drift).
            """,
        version: vlmAuditVersionString,
        subcommands: [
            DatabaseCommand.self, MigrateCommand.self, IngestCommand.self, VerifyCommand.self, EvaluateCommand.self,
            RecalibrateCommand.self, CalibrationCommand.self, DriftCommand.self, ReportCommand.self, SimulateCommand.self, DemoCommand.self,
            ServeCommand.self, TokenCommand.self, AuditCommand.self, MonitorCommand.self, AccessLogCommand.self, ExportCommand.self,
        ]
    )

    /// Runs the command, mapping argument errors to exit status 2 as FORMATS.md specifies.
    static func main() async {
        bootstrapLogging()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            if error is ExitCode || error is CleanExit {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}

/// Logs go to stderr at `VLM_AUDIT_LOG_LEVEL` (default `warning`), so server notices stay out of the way.
private func bootstrapLogging() {
    let configured = ProcessInfo.processInfo.environment["VLM_AUDIT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    let level = configured ?? .warning
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
