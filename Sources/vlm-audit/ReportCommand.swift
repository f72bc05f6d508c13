import ArgumentParser
import AuditApp
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Safety reports.", subcommands: [Monthly.self])

    struct Monthly: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The monthly safety report: Reports/YYYY-MM/report.md, report.html (self-contained) and report.json.")
        @Option(help: "The month, YYYY-MM.") var month: String
        @Option(help: "The folder to write into.") var out = "Reports"
        @Flag(help: "No progress line (it is shown only on a terminal anyway).") var quiet = false
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            let parts = month.split(separator: "-")
            guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let number = Int(parts[1]), (1...12).contains(number) else {
                throw ValidationError("--month must be YYYY-MM, not \(month)")
            }
        }

        func run() throws {
            let onTerminal = isatty(2) == 1 && !quiet
            let started = Date()
            let app = database.app()
            let written = try app.audited("report monthly", object: ["month": month]) {
                try app.writeMonthlyReport(month: month, outFolder: out) { done, total, model in
                    guard onTerminal else { return }
                    let elapsed = Date().timeIntervalSince(started)
                    let left = done > 0 ? ", about " + ProgressLine.duration(elapsed * Double(total - done) / Double(done)) + " left" : ""
                    FileHandle.standardError.write(Data("\rreport \(month): model \(done) of \(total) (\(model))\(left)        ".utf8))
                }
            }
            if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
            print(written.markdown)
            print(written.html)
            print(written.json)
            printError(
                String(
                    format:
                        "report written: waiting for database reads %.1f s, computation and rendering %.1f s; integrity check %.1f s beside them",
                    written.databaseSeconds, written.computeSeconds, written.integritySeconds))
        }
    }
}
