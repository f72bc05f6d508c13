import AuditCore
import AuditStore
import Foundation
import Logging
import PQ

/// The use cases of vlm-audit, shared by the command line and the HTTP service.
public struct AuditApp: Sendable {
    /// The database every use case works on.
    public let database: AuditDatabase
    let logger: Logger

    /// The application over `database`.
    public init(database: AuditDatabase, logger: Logger = Logger(label: "vlm-audit")) {
        self.database = database
        self.logger = logger
    }

    /// The application as configured by the environment (DATABASE_URL, PG*, or the embedded cluster).
    public static func fromEnvironment(migrations: String? = nil) -> AuditApp {
        let folder = migrations.map { URL(fileURLWithPath: $0) } ?? Migrator.defaultFolder()
        return AuditApp(database: AuditDatabase(location: .resolve(), migrationsFolder: folder))
    }

    /// A connection to a database whose schema is current (pending migrations are applied first).
    public func migratedConnection() throws -> PQConnection {
        let connection = try database.connect()
        try database.migrate(connection)
        return connection
    }
}
