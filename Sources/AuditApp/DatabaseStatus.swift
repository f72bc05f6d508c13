import AuditStore
import PQ

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
            serverVersion: connection.serverMajorVersion, pendingMigrations: pending, counts: counts)
    }
}

extension AuditApp {
    /// Grants the least-privilege roles that exist their access (``RoleGrants``); returns those granted and those missing.
    public func grantRoles() throws -> (granted: [String], missing: [String]) {
        try RoleGrants.apply(try migratedConnection())
    }
}
