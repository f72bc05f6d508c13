import AuditStore
import Foundation
import PQ

/// Fresh, migrated databases in the throwaway test cluster.
///
/// `scripts/test.sh` starts the cluster in a temporary folder, exports `VLM_AUDIT_TEST_HOME`, and stops it
/// when the tests end (pass or fail). Run without it, the cluster is started on demand in
/// `.build/test-cluster` and left running for the next run (`vlm-audit db stop` with that home stops it).
public enum TestDatabase {
    /// The package's source root.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The migrations of this source tree.
    public static let migrations = packageRoot.appendingPathComponent("Migrations")

    /// The throwaway cluster.
    public static let cluster: EmbeddedCluster = {
        let environment = ProcessInfo.processInfo.environment
        let home =
            environment["VLM_AUDIT_TEST_HOME"].map { URL(fileURLWithPath: $0) }
            ?? packageRoot.appendingPathComponent(".build/test-cluster")
        var cluster = EmbeddedCluster(home: home)
        cluster.extraSettings = ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        cluster.extraAccessRules = ["local all \(passwordRole) scram-sha-256"]
        return cluster
    }()

    /// A role that must log in with a password (the rest of the cluster trusts its socket).
    public static let passwordRole = "vlm_audit_password_test"

    private static let startOnce: Result<Void, any Error> = Result { _ = try cluster.start() }

    /// Creates an empty database with a unique name and returns its conninfo.
    public static func createEmpty(prefix: String = "t") throws -> String {
        try startOnce.get()
        let name = "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        let admin = try PQConnection(conninfo: cluster.conninfo(database: "postgres"))
        try admin.execute("CREATE DATABASE \(name)")
        return cluster.conninfo(database: name)
    }

    /// Creates a database with every migration applied and returns a handle to it.
    public static func createMigrated(prefix: String = "t") throws -> AuditDatabase {
        let conninfo = try createEmpty(prefix: prefix)
        let database = AuditDatabase(location: .external(conninfo: conninfo), migrationsFolder: migrations)
        try database.migrate(try database.connect())
        return database
    }
}
