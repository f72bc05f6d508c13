import AuditCore
import AuditStore
import Foundation
import Logging

/// The use cases of vlm-audit, shared by the command line and the HTTP service.
public struct AuditApp: Sendable {
    /// The database every use case works on.
    public let database: AuditDatabase
    let logger: Logger
    /// A pool connection lent to this copy of the application by ``AuditService`` (already migrated).
    private var borrowed: BorrowedConnection?

    /// The application over `database`.
    public init(database: AuditDatabase, logger: Logger = Logger(label: "vlm-audit")) {
        self.database = database
        self.logger = logger
    }

    /// The application as configured by the environment (DATABASE_URL, PG*, or the embedded cluster).
    public static func fromEnvironment(migrations: String? = nil) -> AuditApp {
        AuditApp(database: AuditDatabase(location: .resolve(), migrationsFolder: migrations.map { URL(fileURLWithPath: $0) }))
    }

    /// True when the database is the embedded cluster (not a server DATABASE_URL or PG* settings name).
    public var usesEmbeddedCluster: Bool {
        if case .embedded = database.location { return true }
        return false
    }

    /// Applies the pending migrations; returns the file names applied now (empty when the schema is current).
    public func migrate() throws -> [String] {
        try database.migrate(database.connect())
    }

    /// A connection to a database whose schema is current (pending migrations are applied first).
    public func migratedConnection() throws -> StoreConnection {
        if let borrowed { return borrowed.connection }
        let connection = try database.connect()
        try database.migrate(connection)
        return connection
    }
}

extension AuditApp {
    /// True when this copy runs on a lent pool connection, and so cannot open a second one of its own.
    var isBorrowing: Bool { borrowed != nil }

    /// A copy of the application whose use cases all run on `connection` (which must be migrated).
    func borrowing(_ connection: StoreConnection) -> AuditApp {
        var copy = self
        copy.borrowed = BorrowedConnection(connection)
        return copy
    }
}

/// A connection lent by a pool worker for the duration of one job.
private final class BorrowedConnection: @unchecked Sendable {
    // @unchecked Sendable: the borrowing copy of AuditApp lives only inside the pool job that lent the connection,
    // on that job's thread.
    let connection: StoreConnection

    init(_ connection: StoreConnection) {
        self.connection = connection
    }
}
