import Foundation
import PQ

/// An open, configured session on the audit database.
///
/// The layers above the store hold it and hand it back to the store's functions; they never call the driver
/// themselves. AuditApp does not depend on PQ, and with `MemberImportVisibility` none of PQ's members are in reach
/// there, so a driver call outside the store does not compile.
public typealias StoreConnection = PQConnection

/// A fixed set of store connections, each on a thread of its own, for use from async code (the HTTP service's).
///
/// Blocking database calls run on the pool's threads, never on Swift's cooperative pool; a lost connection is made again
/// on next use, so the pool recovers by itself when the server returns.
public final class StorePool: Sendable {
    private let pool: PQPool

    /// Starts `size` worker threads; each calls `connect` when it first needs a connection.
    public init(size: Int, connect: @escaping @Sendable () throws -> StoreConnection) {
        pool = PQPool(size: size, connect: connect)
    }

    /// Number of connections (and worker threads).
    public var size: Int { pool.size }

    /// Connections busy running a job and jobs waiting for one.
    public var usage: (busy: Int, waiting: Int) { pool.usage }

    /// Runs `body` with exclusive use of one connection on a pool thread and returns its value.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (StoreConnection) throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    /// Stops the workers once the queued jobs are done and closes their connections.
    public func shutdown() {
        pool.shutdown()
    }
}

/// How a failed database call reads to the service: whether retrying later can help.
public enum DatabaseFailure {
    /// The server cannot be reached for now (refused, starting up or shutting down, network): it may answer later.
    public static func isTransientConnectionFailure(_ error: any Error) -> Bool {
        (error as? PQError)?.isTransientConnectionFailure ?? false
    }

    /// A connection the server refuses for a reason retrying does not fix (credentials, database or role).
    public static func isRefusedConnection(_ error: any Error) -> Bool {
        guard let error = error as? PQError else { return false }
        return error.kind == .connection && !error.isTransientConnectionFailure
    }

    /// The database is unreachable or saturated: a lost connection, too many connections (53300) or a statement
    /// timeout (57014). Retry later (HTTP 503).
    public static func isUnavailable(_ error: any Error) -> Bool {
        guard let error = error as? PQError else { return false }
        return error.isConnectionLoss || ["53300", "57014"].contains(error.sqlState ?? "")
    }
}

extension AuditDatabase {
    /// The major version of the server `connection` talks to (15 for PostgreSQL 15.x).
    public static func serverMajorVersion(_ connection: StoreConnection) -> Int {
        connection.serverMajorVersion
    }

    /// The database role the session acts as (`current_user`): what records written by it name as their role.
    static func sessionRole(_ connection: StoreConnection) throws -> String {
        try connection.query("SELECT current_user AS role").value("role")
    }
}
