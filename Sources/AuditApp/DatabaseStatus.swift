import AuditCore
import AuditStore
import Foundation

/// What `vlm-audit db status` reports.
public struct DatabaseStatusReport: Sendable {
    public let location: String
    public let clusterStatus: EmbeddedCluster.Status?
    public let serverVersion: Int?
    public let pendingMigrations: [String]?
    public let counts: RecordCounts?
}

extension AuditApp {
    /// The location, whether the server answers, and the schema's state. Never starts the cluster.
    public func databaseStatus() -> DatabaseStatusReport {
        var clusterStatus: EmbeddedCluster.Status?
        if case .embedded(let cluster) = database.location {
            clusterStatus = try? cluster.status()
            guard clusterStatus == .running else {
                return DatabaseStatusReport(
                    location: database.location.safeDescription, clusterStatus: clusterStatus,
                    serverVersion: nil, pendingMigrations: nil, counts: nil)
            }
        }
        guard let connection = try? database.connect() else {
            return DatabaseStatusReport(
                location: database.location.safeDescription, clusterStatus: clusterStatus,
                serverVersion: nil, pendingMigrations: nil, counts: nil)
        }
        let pending = try? database.migrator.pending(connection)
        let counts = pending?.isEmpty == true ? try? RecordCounts.read(connection) : nil
        return DatabaseStatusReport(
            location: database.location.safeDescription, clusterStatus: clusterStatus,
            serverVersion: AuditDatabase.serverMajorVersion(connection), pendingMigrations: pending, counts: counts)
    }
}

/// Thrown when a command manages the embedded cluster while DATABASE_URL or PG* settings point to another server.
public struct EmbeddedClusterNotInUse: Error, CustomStringConvertible {
    public var description: String { "DATABASE_URL or PG* settings are set: the embedded cluster is not in use" }
}

extension AuditApp {
    /// Initialises (if needed) and starts the embedded cluster, and says whether it had to start it and where it lives.
    ///
    /// - Throws: ``EmbeddedClusterNotInUse`` when the database is another server; the cluster's error otherwise.
    public func startEmbeddedCluster() throws -> (started: Bool, home: String) {
        let cluster = try embeddedCluster()
        return (try cluster.start(), cluster.home.path)
    }

    /// Stops the embedded cluster; false when it was not running.
    ///
    /// - Throws: ``EmbeddedClusterNotInUse`` when the database is another server; the cluster's error otherwise.
    public func stopEmbeddedCluster() throws -> Bool {
        try embeddedCluster().stop()
    }

    private func embeddedCluster() throws -> EmbeddedCluster {
        guard case .embedded(let cluster) = database.location else { throw EmbeddedClusterNotInUse() }
        return cluster
    }
}

extension AuditApp {
    /// Grants the least-privilege roles that exist their access (``RoleGrants``); returns those granted and those missing.
    public func grantRoles() throws -> (granted: [String], missing: [String]) {
        try RoleGrants.apply(try migratedConnection())
    }
}
