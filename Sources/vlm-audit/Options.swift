import ArgumentParser
import AuditApp
import AuditCore

let vlmAuditVersionString = vlmAuditVersion

/// Options every database command accepts.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Folder of the SQL migrations (default: ./Migrations or the package's).")
    var migrations: String?

    func app() -> AuditApp {
        AuditApp.fromEnvironment(migrations: migrations)
    }
}
