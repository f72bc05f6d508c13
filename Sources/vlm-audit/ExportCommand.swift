import ArgumentParser
import AuditApp
import AuditCore
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Evidence in the formats hospitals and regulators read.", subcommands: [FHIRExport.self])

    struct FHIRExport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fhir",
            abstract: "A FHIR R5 Bundle: an AuditEvent per ingest batch, label revision, calibration status change and access "
                + "event, and a Provenance per calibration version (docs/compliance.md).")
        @Option(help: "Start (inclusive): YYYY-MM-DD or RFC 3339.") var from: String
        @Option(help: "End (exclusive).") var to: String
        @Option(help: "The file to write (JSON).") var out: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let start = try parseInstant(from, option: "--from")
            let end = try parseInstant(to, option: "--to")
            guard start < end else { throw ValidationError("--from must be before --to") }
            let app = database.app()
            let bundle = try app.audited("export fhir", object: ["from": from, "to": to]) { try app.fhirBundle(from: start, to: end) }
            try Data((CanonicalJSON.text(bundle) + "\n").utf8).write(to: URL(fileURLWithPath: out))
            if case .array(let entries)? = bundle["entry"] { printError("wrote \(entries.count) resources to \(out)") }
        }
    }
}
