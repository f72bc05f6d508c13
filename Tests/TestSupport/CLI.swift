import AuditStore
import Foundation

/// Runs the built `vlm-audit` executable, as a user would.
public enum CLI {
    /// The executable: `VLM_AUDIT_EXECUTABLE` (set by scripts/test.sh) or the debug build of this tree.
    public static let executable =
        ProcessInfo.processInfo.environment["VLM_AUDIT_EXECUTABLE"]
        ?? TestDatabase.packageRoot.appendingPathComponent(".build/debug/vlm-audit").path

    /// The environment for a run against `conninfo`, with no other database settings leaking in.
    public static func environment(conninfo: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["DATABASE_URL"] = conninfo
        environment["VLM_AUDIT_MIGRATIONS"] = TestDatabase.migrations.path
        return environment.merging(extra) { $1 }
    }

    /// Runs `vlm-audit arguments…` to completion; returns the exit status and stdout+stderr.
    public static func run(_ arguments: [String], conninfo: String) throws -> (status: Int32, output: String) {
        try ProcessRunner.run(executable, arguments, environment: environment(conninfo: conninfo))
    }

    /// Starts `vlm-audit arguments…` in the background, output appended to `log`.
    package static func start(_ arguments: [String], conninfo: String, log: String) throws -> ProcessRunner.Child {
        try ProcessRunner.start(executable, arguments, environment: environment(conninfo: conninfo), outputPath: log)
    }
}
