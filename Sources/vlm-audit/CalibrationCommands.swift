import ArgumentParser
import AuditApp
import AuditCore
import Foundation

/// Parses `YYYY-MM-DD` or an RFC 3339 timestamp.
func parseInstant(_ text: String, option: String) throws -> Timestamp {
    if let timestamp = Timestamp(dayOrRFC3339: text) { return timestamp }
    throw ValidationError("\(option) must be YYYY-MM-DD or an RFC 3339 timestamp, not \(text)")
}

/// Prints a JSON document on stdout.
func printJSON(_ value: JSONValue) {
    print(CanonicalJSON.text(value))
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Metrics of every UE method for a model and window, raw and under the active calibration.")
    @Option(help: "The model.") var model: String
    @Option(help: "Start of the window (inclusive): YYYY-MM-DD or RFC 3339. Default: all time.") var from: String?
    @Option(help: "End of the window (exclusive).") var to: String?
    @Flag(help: "Print the JSON document on stdout.") var json = false
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let app = database.app()
        let window = (
            from: try from.map { try parseInstant($0, option: "--from") }, to: try to.map { try parseInstant($0, option: "--to") }
        )
        let object = ["model": model].merging(["from": from, "to": to].compactMapValues { $0 }) { first, _ in first }
        let document = try app.audited("evaluate", object: object) { try app.evaluate(model: model, from: window.from, to: window.to) }
        if json {
            printJSON(document)
            return
        }
        print(
            "model \(model): n=\(document["n"].map(CanonicalJSON.text) ?? "0"), labeled=\(document["n_labeled"].map(CanonicalJSON.text) ?? "0"), "
                + "accuracy=\(document["accuracy"].map(CanonicalJSON.text) ?? "null"), temperature=\(document["temperature"].map(CanonicalJSON.text) ?? "null")"
        )
        if case .object(let methods)? = document["methods"] {
            print("method\torientation\tn\tAUROC\tAUPRC-err\tAURC\tPRR\tECE")
            for member in methods.members {
                let fields = ["orientation", "n", "auroc", "auprc_error", "aurc", "prr", "ece"].map { key in
                    member.value[key].map { value -> String in
                        if case .number(let number) = value { return String(format: "%.4f", number) }
                        if case .string(let text) = value { return text }
                        return CanonicalJSON.text(value)
                    } ?? "-"
                }
                print(([member.key] + fields).joined(separator: "\t"))
            }
        }
    }
}

struct RecalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recalibrate",
        abstract: "Fit and store new calibration versions (temperature + escalation threshold with a guarantee).",
        usage: "vlm-audit recalibrate (--model <model> | --all) [<options>]",
        discussion: """
            Name one model (--model M) or every model (--all). Accept (do not escalate) a prediction when its calibrated
            confidence ≥ τ; τ = +inf escalates everything. The guarantee rests on the audit sample (docs/audit.md).
            """)
    @Option(help: "One model.") var model: String?
    @Flag(help: "Every model with predictions.") var all = false
    @Option(help: "Fitting window before --as-of, e.g. 90d.") var window = "90d"
    @Option(name: .customLong("as-of"), help: "End of the window (default: now).") var asOf: String?
    @Option(name: .customLong("target-risk"), help: "α: the accepted-set error rate to guarantee.") var targetRisk = 0.10
    @Option(help: "δ: the probability that the guarantee may fail.") var delta = 0.05
    @Option(help: "The score to threshold.") var method = DerivedMethod.msp.rawValue
    @Option(help: "Budget mode: the share of predictions that may be escalated (instead of Learn-then-Test).") var budget: Double?
    @Option(name: .customLong("min-fit"), help: "Acceptance policy: the fewest fit rows for automatic activation.") var minimumFit = 200
    @Flag(name: .customLong("propose-only"), help: "Never activate automatically; versions stay proposed.") var proposeOnly = false
    @Option(name: .customLong("per-slice"), help: "Fit a threshold per value of this attribute (site, modality, …), each at δ / G.")
    var perSlice: String?
    @Flag(
        name: .customLong("accept-global-for-small-slices"),
        help: "With --per-slice: slices with fewer than --min-fit rows take the global threshold instead of escalating.")
    var acceptGlobalForSmallSlices = false
    @Option(name: .customLong("by"), help: "Who fits (recorded).") var fittedBy = "vlm-audit recalibrate"
    @Flag(help: "Print the outcomes as JSON on stdout.") var json = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (model == nil) != !all else { throw ValidationError("give --model M or --all") }
        _ = try asOf.map { try parseInstant($0, option: "--as-of") }
        guard parseDays(window) != nil else { throw ValidationError("--window must look like 90d, not \(window)") }
        guard targetRisk > 0, targetRisk < 1 else { throw ValidationError("--target-risk must lie in (0, 1)") }
        guard delta > 0, delta < 1 else { throw ValidationError("--delta must lie in (0, 1)") }
        if let budget, !(budget >= 0 && budget < 1) { throw ValidationError("--budget must lie in [0, 1)") }
        if let perSlice, perSlice.isEmpty { throw ValidationError("--per-slice needs an attribute name") }
        if acceptGlobalForSmallSlices && perSlice == nil { throw ValidationError("--accept-global-for-small-slices needs --per-slice") }
        if perSlice != nil && budget != nil {
            throw ValidationError("--per-slice fits Learn-then-Test thresholds; it cannot be combined with --budget")
        }
    }

    func run() throws {
        var options = RecalibrationOptions()
        options.windowDays = parseDays(window)!
        options.asOf = try asOf.map { try parseInstant($0, option: "--as-of") }
        options.targetRisk = targetRisk
        options.delta = delta
        options.method = method
        options.budget = budget
        options.minimumFit = minimumFit
        options.autoActivate = !proposeOnly
        options.fittedBy = fittedBy
        options.perSlice = perSlice
        options.acceptGlobalForSmallSlices = acceptGlobalForSmallSlices
        let outcomes = try database.app().recalibrate(models: model.map { [$0] }, options: options)
        if json {
            printJSON(
                .array(
                    outcomes.map { outcome in
                        .object(
                            JSONObject([
                                ("model", .string(outcome.model)), ("version", outcome.versionID.map { .integer($0) } ?? .null),
                                ("status", .string(outcome.status.rawValue)),
                                ("temperature", outcome.temperature.map { .number($0) } ?? .null),
                                ("threshold", outcome.threshold.map { .number($0) } ?? .null),
                                ("coverage", outcome.coverage.map { .number($0) } ?? .null), ("message", .string(outcome.message)),
                            ]))
                    }))
        }
        for outcome in outcomes {
            let version = outcome.versionID.map { "version \($0)" } ?? "no version"
            printError("\(outcome.model): \(outcome.status.rawValue), \(version): \(outcome.message)")
        }
        if outcomes.contains(where: { $0.status == .failed }) { throw ExitCode.failure }
    }
}

func parseDays(_ text: String) -> Int? {
    guard text.hasSuffix("d"), let days = Int(text.dropLast()), days > 0 else { return nil }
    return days
}

struct CalibrationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration",
        abstract: "The calibration store: list, show, model card, activate (or roll back), reject, signing policy.",
        subcommands: [List.self, Show.self, Card.self, Activate.self, Reject.self, Policy.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Versions, newest first.")
        @Option(help: "Only this model.") var model: String?
        @Flag(help: "JSON on stdout.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let app = database.app()
            let versions = try app.audited("calibration list", object: ["model": model].compactMapValues { $0 }) {
                try app.calibrations(model: model)
            }
            if json {
                printJSON(.array(versions.map(\.json)))
            } else {
                print("version\tmodel\tstatus\ttemperature\tthreshold\tcoverage\tn (fit+hold-out)\tcreated")
                for version in versions { print(version.summaryLine) }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One version with its evidence, or a model's active one.")
        @Argument(help: "The version number.") var version: Int64?
        @Flag(help: "The active version of --model.") var active = false
        @Option(help: "The model (with --active).") var model: String?
        @Flag(help: "JSON on stdout.") var json = false
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard (version != nil) != (active && model != nil) else {
                throw ValidationError("give a version number, or --active --model M")
            }
        }

        func run() throws {
            let app = database.app()
            let object = ["version": version.map(String.init), "model": model].compactMapValues { $0 }
            let found = try app.audited("calibration show", object: object) {
                try version.map { try app.calibration(id: $0) } ?? app.activeCalibration(model: model!)
            }
            guard let found else {
                printError(
                    version.map { "no calibration version \($0)" } ?? "model \(model!) has no active calibration: escalate everything")
                throw ExitCode.failure
            }
            let signatures = try app.calibrationSignatures(id: found.versionID)
            if json {
                guard case .object(var document) = found.json else { return printJSON(found.json) }
                document.members.append(("signatures", .array(signatures.map(\.json))))
                printJSON(.object(document))
            } else {
                print(found.summaryLine)
                print(CanonicalJSON.text(found.evidence))
                for signature in signatures { print("signature \(signature.signatureID): \(signature.manifestation)") }
            }
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the activation of a version (rollback = activating an earlier one).",
            discussion: """
                The signature records your printed name (--by), your operating-system user, the time and its meaning \
                ("approved for deployment", or "rolled back" for a version that was active before). When the deployment \
                requires two signers (calibration policy), the first signature leaves the version as it is and a second, \
                different person's activates it.
                """)
        @Argument(help: "The version number.") var version: Int64
        @Option(name: .customLong("by"), help: "Your printed name, shown with the signature.") var actor: String
        @Option(help: "Why (recorded with the signature).") var reason: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            switch try database.app().activateCalibration(id: version, by: actor, reason: reason) {
            case .active(let signatures):
                for signature in signatures { printError("signed: \(signature.manifestation)") }
                printError("version \(version) is active")
            case .awaitingSecondSigner(let first):
                printError("signed: \(first.manifestation)")
                printError("version \(version) awaits a second signature by a different person before it becomes active")
            case .rejected:
                break
            }
        }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign the rejection of a proposed version.")
        @Argument(help: "The version number.") var version: Int64
        @Option(name: .customLong("by"), help: "Your printed name, shown with the signature.") var actor: String
        @Option(help: "Why (recorded with the signature).") var reason: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            if case .rejected(let signature) = try database.app().rejectCalibration(id: version, by: actor, reason: reason) {
                printError("signed: \(signature.manifestation)")
            }
            printError("version \(version) is rejected")
        }
    }

    struct Card: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The model card of a version: intended use, data, guarantee, performance, slices, NOTA, limitations, approvals.")
        @Argument(help: "The version number.") var version: Int64
        @Option(help: "md (Markdown) or json.") var format: CardFormat = .md
        @OptionGroup var database: DatabaseOptions

        enum CardFormat: String, ExpressibleByArgument {
            case md, json
        }

        func run() throws {
            let app = database.app()
            let card = try app.audited("calibration card", object: ["version": String(version)]) { try app.modelCard(version: version) }
            switch format {
            case .md: print(app.renderModelCard(card), terminator: "")
            case .json: printJSON(card)
            }
        }
    }

    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the signing policy: whether activation needs two different signers.")
        @Option(name: .customLong("two-signers"), help: "on or off.") var twoSigners: Switch?
        @Option(name: .customLong("by"), help: "Who sets it (recorded).") var actor: String?
        @Option(help: "Why (recorded).") var reason: String?
        @OptionGroup var database: DatabaseOptions

        enum Switch: String, ExpressibleByArgument {
            case on, off
        }

        func validate() throws {
            if twoSigners != nil && (actor == nil || reason == nil) {
                throw ValidationError("--two-signers needs --by and --reason")
            }
        }

        func run() throws {
            let app = database.app()
            if let twoSigners, let actor, let reason {
                try app.setSigningPolicy(twoSigners: twoSigners == .on, by: actor, reason: reason)
            }
            print("two signers: \(try app.requiresTwoSigners() ? "on" : "off")")
        }
    }
}
