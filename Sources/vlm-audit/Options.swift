import ArgumentParser
import AuditApp
import AuditCore

let vlmAuditVersionString = vlmAuditVersion

/// Options every database command accepts.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Folder of SQL migrations to apply instead of the ones built into this binary (or VLM_AUDIT_MIGRATIONS).")
    var migrations: String?

    func app() -> AuditApp {
        AuditApp.fromEnvironment(migrations: migrations)
    }
}
