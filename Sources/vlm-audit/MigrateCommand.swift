import ArgumentParser
import AuditApp

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the SQL files in Migrations/ in order, once each, checksummed.")
    @OptionGroup var options: DatabaseOptions

    func run() throws {
        let app = options.app()
        let applied = try app.migrate()
        if applied.isEmpty {
            printError("schema is current; nothing to apply")
        } else {
            for name in applied { print("applied \(name)") }
        }
    }
}
