import ArgumentParser
import AuditApp
import AuditCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Bulk-load prediction records or clinician ground truth (JSON Lines or CSV).",
        subcommands: [Predictions.self, Labels.self])

    struct Arguments: ParsableArguments {
        @Argument(help: "Files to load (.jsonl or .csv; - reads standard input).")
        var files: [String]

        @Option(help: "Input format (default: from each file's extension).")
        var format: InputFormat?

        @Option(name: .customLong("batch-size"), help: "Records per transaction.")
        var batchSize = 10_000

        @Option(help: "CSV delimiter: , or ; or tab (default: guessed from each file's header line).")
        var delimiter: String?

        @Option(help: "Also write every rejected record, with its reason, to this JSON Lines file.")
        var rejects: String?

        @Flag(help: "Print the summary as JSON on stdout.")
        var json = false

        @Flag(help: "No progress line (it is shown only on a terminal anyway).")
        var quiet = false

        @Flag(
            name: .customLong("skip-monitor"),
            help: "Leave the threshold monitors for `vlm-audit monitor` (bulk back-fills); by default the run ends with a look.")
        var skipMonitor = false

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("name at least one file (or - for standard input)") }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            if let delimiter, CSVParser.delimiters[delimiter] == nil {
                throw ValidationError("--delimiter must be , or ; or tab, not \(delimiter)")
            }
        }

        func run(kind: RecordKind, connections: Int = 1) throws {
            var options = IngestOptions(
                kind: kind, format: format, batchSize: batchSize,
                rejectsPath: rejects, commitLanes: connections)
            options.csvDelimiter = delimiter.flatMap { CSVParser.delimiters[$0] }
            options.updatesMonitors = !skipMonitor
            let onTerminal = isatty(2) == 1 && !quiet
            let summary = try database.app().ingest(paths: files, options: options) { progress in
                guard onTerminal else { return }
                FileHandle.standardError.write(Data(("\r" + ProgressLine.ingest(progress) + "   ").utf8))
            }
            if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            }
            printError(
                "\(summary.kind): \(summary.read) read, \(summary.inserted) stored, \(summary.duplicates) already stored, "
                    + "\(summary.rejected) rejected (\(summary.quarantined) newly quarantined) in \(summary.batches) batches, "
                    + String(format: "%.1f s", summary.seconds))
            if let members = summary.auditMembers, members > 0 {
                printError(
                    "  \(members) of the stored predictions are audit members (vlm-audit audit worklist lists those awaiting review)")
            }
            for alarm in summary.monitorAlarms { printError("  MONITOR ALARM: \(alarm)") }
            for reason in summary.topReasons { printError("  \(reason.count) × \(reason.field), e.g. \(reason.example)") }
            if summary.rejected > 0 { throw ExitCode.failure }
        }
    }

    struct Predictions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load prediction records.")
        @OptionGroup var arguments: Arguments
        @Option(help: "Batches committed at once, each on a database connection of its own.") var connections = 2

        func validate() throws {
            guard connections > 0 else { throw ValidationError("--connections must be positive") }
        }

        func run() throws { try arguments.run(kind: .predictions, connections: connections) }
    }

    struct Labels: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load ground-truth records (labels).")
        @OptionGroup var arguments: Arguments
        func run() throws { try arguments.run(kind: .labels) }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the tamper-evident chain; exit 1 naming the first bad batch and row if it is broken.")
    @Flag(help: "Print the result as JSON on stdout.") var json = false
    @Option(
        name: .customLong("anchor"),
        help: ArgumentHelp(
            "A chain head printed earlier (by verify or a monthly report) that must still be in the chain; repeatable.",
            discussion: "Catches a superuser who deleted the newest links or rewrote the chain from some point on."))
    var anchors: [String] = []
    @Flag(help: "Check the whole chain from genesis instead of from the newest checkpoint.") var full = false
    @Flag(
        help: ArgumentHelp(
            "After a verification that passed every check, seal the verified head as a chained checkpoint.",
            discussion: "Later verifies (and the monthly report) check only the batches after it; --full still checks all."))
    var checkpoint = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let app = database.app()
        var sealed: ChainCheckpoint?
        let report: ChainReport
        var read = ["range": full ? "full" : "from the newest checkpoint"]
        if checkpoint { read["checkpoint"] = "seal" }
        if checkpoint {
            do {
                (report, sealed) = try app.audited("verify", object: read) {
                    try app.checkpoint(by: ProcessInfo.processInfo.environment["USER"] ?? "vlm-audit", full: full, anchors: anchors)
                }
            } catch let refused as CheckpointRefused {
                report = refused.report
                printError("error: \(refused)")
            }
        } else {
            report = try app.audited("verify", object: read) { try app.verify(anchors: anchors, full: full) }
        }
        if json {
            // "intact" only when every check ran: a check that could not run never reads as passed.
            var object: [String: Any] = [
                "intact": report.intact && report.schemaNotChecked == nil,
                "complete": report.schemaNotChecked == nil, "batches": report.batches, "rows": report.rows,
                "problems": report.problems.map(\.description),
            ]
            if let head = report.head {
                object["head"] = ["hash": head.hash, "batch_id": head.batchID, "ingested_at": head.ingestedAt]
            }
            if let calibrationHead = report.calibrationHead { object["calibration_head"] = calibrationHead }
            if let driftHead = report.driftHead { object["drift_head"] = driftHead }
            if let auditPlanHead = report.auditPlanHead { object["audit_plan_head"] = auditPlanHead }
            if let monitorHead = report.monitorHead { object["monitor_head"] = monitorHead }
            if let checkpointHead = report.checkpointHead { object["checkpoint_head"] = checkpointHead }
            if let accessHead = report.accessHead { object["access_head"] = accessHead }
            if let range = report.range {
                object["verified_range"] = [
                    "full": range.isFull, "from_checkpoint": range.fromCheckpoint.map { $0 as Any } ?? NSNull(),
                    "after_batch": range.afterBatch, "through_batch": range.throughBatch.map { $0 as Any } ?? NSNull(),
                    "batches_checked": range.batchesChecked, "rows_checked": range.rowsChecked,
                ]
            }
            if let sealed {
                object["checkpoint"] = ["id": sealed.checkpointID, "hash": sealed.checkpointHash, "batch_id": sealed.batchID]
            }
            object["schema"] =
                ["definitions": report.schemaDefinitions, "not_checked": report.schemaNotChecked.map { $0 as Any } ?? NSNull()]
                as [String: Any]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
        if let head = report.head {
            printError("chain head: \(head.hash) (batch \(head.batchID), \(head.ingestedAt))")
        } else {
            printError("chain head: none (the log is empty)")
        }
        if let calibrationHead = report.calibrationHead { printError("calibration chain head: \(calibrationHead)") }
        if let driftHead = report.driftHead { printError("drift chain head: \(driftHead)") }
        if let auditPlanHead = report.auditPlanHead { printError("audit plan chain head: \(auditPlanHead)") }
        if let monitorHead = report.monitorHead { printError("monitor chain head: \(monitorHead)") }
        if let checkpointHead = report.checkpointHead { printError("checkpoint chain head: \(checkpointHead)") }
        if let accessHead = report.accessHead { printError("access log chain head: \(accessHead)") }
        if let range = report.range { printError("verified range: \(range.description)") }
        if let reason = report.schemaNotChecked {
            printError("schema: NOT CHECKED against the migrations (\(reason))")
        } else if report.schemaProblems == 0 {
            printError("schema: \(report.schemaDefinitions) definitions match the migrations")
        }
        guard report.intact else {
            printError("BROKEN: \(report.problems.count) problem(s); first: \(report.problems[0])")
            for problem in report.problems.dropFirst().prefix(9) { printError("  \(problem)") }
            throw ExitCode.failure
        }
        if let reason = report.schemaNotChecked {
            printError(
                "PARTIALLY VERIFIED: \(report.batches) batches and \(report.rows) rows are intact, but the schema was not compared "
                    + "with the migrations (\(reason))")
            throw ExitCode.failure
        }
        let checked = report.range.map {
            $0.isFull ? "" : " (\($0.batchesChecked) batches, \($0.rowsChecked) rows recomputed since the checkpoint)"
        }
        printError("intact: \(report.batches) batches, \(report.rows) rows verified" + (checked ?? ""))
        if checkpoint {
            guard let sealed else { throw ExitCode.failure }
            printError("sealed checkpoint \(sealed.checkpointID) at batch \(sealed.batchID): \(sealed.checkpointHash)")
        }
    }
}

/// The one-line progress shown on a terminal.
enum ProgressLine {
    /// `file 2/3 labels.jsonl: 45 % of 1.2 GB, 120000 read, 3 rejected, 52000 rows/s, about 0:42 left`.
    static func ingest(_ progress: IngestProgress) -> String {
        let rate = progress.seconds > 0 ? Double(progress.read) / progress.seconds : 0
        var text = "file \(progress.file)/\(progress.files) \((progress.source as NSString).lastPathComponent): "
        if let fraction = progress.fraction, let total = progress.bytesTotal {
            text += String(format: "%.0f %% of %@, ", fraction * 100, bytes(total))
        }
        text += "\(progress.read) read, \(progress.rejected) rejected, \(Int(rate)) rows/s"
        if let left = progress.secondsLeft { text += ", about \(duration(left)) left" }
        return text
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}

extension InputFormat: ExpressibleByArgument {}
