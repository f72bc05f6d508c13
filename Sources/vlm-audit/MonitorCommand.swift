import ArgumentParser
import AuditApp
import AuditCore
import Foundation

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "The sequential monitor of every active threshold: reads the labels that arrived since the last look.",
        discussion: """
            Per model with an active calibration version: an anytime-valid test that the error among accepted, audited
            predictions stays at or below the version's α, for the whole model at δ and for each slice at δ / K
            (docs/monitor.md). Labels are read once, so re-running changes nothing until new labels arrive.
            Exit status: 0 when no alarm stands, 3 when any model is in alarm (it escalates everything until a person
            activates a new version with `vlm-audit calibration activate`).
            """)
    @Option(help: "One model (default: every model with an active version).") var model: String?
    @Option(name: .customLong("slice-attributes"), help: "Comma-separated attributes monitored per value when a version is first watched.")
    var sliceAttributes = "site,modality,question_type"
    @Flag(help: "Print the monitors as JSON on stdout.") var json = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        var options = MonitorOptions()
        options.sliceAttributes = sliceAttributes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        let monitors = try database.app().updateMonitors(models: model.map { [$0] }, options: options)
        if json { printJSON(.array(monitors.map(\.json))) }
        if monitors.isEmpty { printError("no model has an active calibration version: nothing to monitor") }
        for monitor in monitors {
            guard monitor.acceptsAnything, let whole = monitor.whole else {
                printError("\(monitor.model): version \(monitor.versionID) escalates everything; nothing is accepted, nothing to monitor")
                continue
            }
            let status = monitor.isAlarmed ? "ALARM" : "ok"
            let tau =
                monitor.perSliceAttribute.map { "τ per \($0)" } ?? monitor.threshold.map { "τ \(String(format: "%.4f", $0))" } ?? "τ none"
            printError(
                "\(monitor.model): \(status) version \(monitor.versionID) \(tau): \(whole.observations) accepted audited labels, "
                    + "\(whole.errors) errors, e-value \(String(format: "%.3g", whole.eValue)) (alarm at \(String(format: "%g", 1 / monitor.delta))), "
                    + "\(monitor.slices.count) slices")
            for slice in monitor.slices where slice.isAlarmed {
                printError("  ALARM on \(slice.slice.attribute) = \(slice.slice.value) (δ / K = \(String(format: "%.4g", slice.delta)))")
            }
            if let alarm = monitor.alarms.first { printError("  \(alarm.reason)") }
        }
        if monitors.contains(where: \.isAlarmed) { throw ExitCode(3) }
    }
}
