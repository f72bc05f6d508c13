import Foundation

/// Where the database is: an external server named by the environment, or the embedded local cluster.
public enum DatabaseLocation: Sendable {
    /// `DATABASE_URL`, or libpq's own `PG*` environment rules (conninfo is then empty).
    case external(conninfo: String)
    /// The private cluster under the working directory (see ``EmbeddedCluster``).
    case embedded(EmbeddedCluster)

    /// The libpq connection variables whose presence means "use an external server".
    public static let libpqVariables = [
        "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGPASSFILE",
        "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE",
    ]

    /// Chooses the location the way every command does: `DATABASE_URL` first, then any `PG*` setting,
    /// else the embedded cluster in `VLM_AUDIT_HOME` (default `./.vlm-audit`).
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> DatabaseLocation {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return .external(conninfo: url)
        }
        if libpqVariables.contains(where: { environment[$0]?.isEmpty == false }) {
            return .external(conninfo: "")
        }
        return .embedded(EmbeddedCluster(environment: environment))
    }

    /// A description safe to print: never a password or a full connection string.
    public var safeDescription: String {
        switch self {
        case .external(let conninfo):
            return conninfo.isEmpty ? "PostgreSQL from the PG* environment settings" : "PostgreSQL from DATABASE_URL"
        case .embedded(let cluster):
            return "embedded cluster in \(cluster.home.path)"
        }
    }
}
