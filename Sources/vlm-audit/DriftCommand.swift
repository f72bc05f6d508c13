import ArgumentParser
import AuditApp
import AuditCore
import Foundation

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Drift check against the active calibration's reference window; stores the findings.",
        discussion: "Exit status: 0 when every model is OK or WARN, 3 when any model is ALERT (so a cron job can page someone).")
    @Option(help: "One model (default: all).") var model: String?
    @Flag(help: "Every model (the default).") var all = false
    @Option(help: "Reference window FROM..TO (YYYY-MM-DD or RFC 3339); default: the active calibration's fit window.") var reference:
        String?
    @Option(help: "Current window FROM..TO; default: the 7 days before --as-of.") var current: String?
    @Option(name: .customLong("as-of"), help: "\"Now\" for the default windows (default: the database clock).") var asOf: String?
    @Flag(help: "Print the findings as JSON on stdout.") var json = false
    @Option(help: "Also write the findings as Markdown to this file.") var out: String?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if model != nil && all { throw ValidationError("give --model M or --all, not both") }
        // Parsed here, not in run(), so that a malformed value prints drift's usage, not the top-level one.
        _ = try reference.map { try Self.window($0, option: "--reference") }
        _ = try current.map { try Self.window($0, option: "--current") }
        _ = try asOf.map { try parseInstant($0, option: "--as-of") }
    }

    func run() throws {
        var options = DriftOptions()
        options.reference = try reference.map { try Self.window($0, option: "--reference") }
        options.current = try current.map { try Self.window($0, option: "--current") }
        options.asOf = try asOf.map { try parseInstant($0, option: "--as-of") }
        let runs = try database.app().drift(models: model.map { [$0] }, options: options)
        if json { printJSON(.array(runs.map(\.findings))) }
        if let out { try DriftMarkdown.render(runs).write(toFile: out, atomically: true, encoding: .utf8) }
        for run in runs {
            printError("\(run.model): \(run.status.rawValue) (\(run.testsRun) tests)")
            if case .array(let findings)? = run.findings["findings"] {
                for finding in findings where finding["severity"] != .string(DriftSeverity.ok.rawValue) {
                    printError(
                        "  \(finding["severity"]?.stringValue ?? "") \(finding["message"]?.stringValue ?? "")"
                            + (finding["action"]?.stringValue.map { " → \($0)" } ?? ""))
                }
            }
        }
        if runs.contains(where: { $0.status == .alert }) { throw ExitCode(3) }
    }

    private static func window(_ text: String, option: String) throws -> (from: Timestamp, to: Timestamp) {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2 else { throw ValidationError("\(option) must be FROM..TO, not \(text)") }
        return (try parseInstant(parts[0], option: option), try parseInstant(parts[1], option: option))
    }
}

/// The drift findings as a short Markdown document.
enum DriftMarkdown {
    static func render(_ runs: [DriftRun]) -> String {
        var lines = ["# Drift check", ""]
        for run in runs {
            lines.append("## \(run.model): \(run.status.rawValue)")
            lines.append("")
            lines.append(
                "Reference \(run.reference.from.day) to \(run.reference.to.day), current \(run.current.from.day) to \(run.current.to.day); \(run.testsRun) tests (Benjamini–Hochberg)."
            )
            lines.append("")
            lines.append("| severity | check | finding | action |")
            lines.append("|---|---|---|---|")
            if case .array(let findings)? = run.findings["findings"] {
                for finding in findings {
                    lines.append(
                        "| \(finding["severity"]?.stringValue ?? "") | \(finding["check"]?.stringValue ?? "") | "
                            + "\(finding["message"]?.stringValue ?? "") | \(finding["action"]?.stringValue ?? "") |")
                }
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
