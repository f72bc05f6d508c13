import ArgumentParser
import AuditApp

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole loop on the embedded cluster with simulated data.")
    @OptionGroup var options: DatabaseOptions

    func run() throws {
        let app = options.app()
        printError("database: \(app.database.location.safeDescription)")
        let connection = try app.database.connect()
        let applied = try app.database.migrate(connection)
        printError(applied.isEmpty ? "schema: current" : "schema: applied \(applied.joined(separator: ", "))")
        let status = app.databaseStatus()
        if let counts = status.counts {
            print("records: \(counts.predictions) predictions, \(counts.labels) labels, \(counts.quarantined) quarantined")
        }
    }
}
