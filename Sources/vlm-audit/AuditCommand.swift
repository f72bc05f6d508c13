import ArgumentParser
import AuditApp
import AuditCore
import Foundation

/// `vlm-audit audit …`: the audit sample's plans and the clinicians' worklist (docs/audit.md).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit plans (a random sample reviewed whatever the model's confidence) and the review worklist.",
        subcommands: [PlanCommand.self, WorklistCommand.self])

    struct PlanCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan", abstract: "Create or list audit plans.", subcommands: [Create.self, List.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Start an audit plan for a model: from --effective-from on, each clean prediction is a member with probability --rate.",
                discussion: """
                    Membership is u < rate with u = first 8 bytes of SHA-256(seed ‖ prediction_id) / 2^64, so anyone given the
                    seed can recompute it. The seed's SHA-256 is chained at creation; plans are never edited: a new rate or
                    seed is a new plan with a later --effective-from. Re-running an identical create is a no-op.
                    """)
            @Option(help: "The model.") var model: String
            @Option(help: "q ∈ (0, 1]: the share of predictions audited.") var rate: Double
            @Option(name: .customLong("effective-from"), help: "First instant covered: YYYY-MM-DD or RFC 3339 (default: now).")
            var effectiveFrom: String?
            @Option(help: "The secret seed as 64 hex digits (default: 32 random bytes).") var seed: String?
            @Option(help: "Who creates the plan (recorded and chained).") var by =
                ProcessInfo.processInfo.environment["USER"] ?? "vlm-audit"
            @Option(help: "Why (recorded and chained).") var reason = "audit plan"
            @Flag(name: .customLong("new-model"), help: "Allow a model with no prediction stored yet (a plan made before go-live).")
            var newModel = false
            @Flag(help: "Print the plan as JSON on stdout.") var json = false
            @OptionGroup var database: DatabaseOptions

            func validate() throws {
                guard rate > 0 && rate <= 1 else { throw ValidationError("--rate must lie in (0, 1], not \(rate)") }
            }

            func run() throws {
                var request = AuditPlanRequest(
                    model: model, rate: rate, seed: try seed.map(AuditSeed.parse(hex:)),
                    effectiveFrom: try effectiveFrom.map { try parseInstant($0, option: "--effective-from") },
                    createdBy: by, reason: reason)
                request.allowNewModel = newModel
                let (plan, created) = try database.app().createAuditPlan(request)
                if json { printJSON(plan.json) }
                printError(
                    "\(created ? "created" : "already stored:") audit plan \(plan.planID) for \(plan.model): rate \(plan.rate) "
                        + "from \(plan.effectiveFrom.rfc3339), seed sha256 \(plan.seedSHA256)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Plans, newest first, with their seeds (the CLI runs with database rights).")
            @Option(help: "Only this model.") var model: String?
            @Flag(help: "Print JSON on stdout.") var json = false
            @OptionGroup var database: DatabaseOptions

            func run() throws {
                let app = database.app()
                let plans = try app.audited("audit plan list", object: ["model": model].compactMapValues { $0 }) {
                    try app.auditPlans(model: model)
                }
                if json {
                    printJSON(.array(plans.map(\.json)))
                    return
                }
                print("plan\tmodel\trate\teffective_from\tseed_sha256\tseed")
                for plan in plans {
                    print(
                        "\(plan.planID)\t\(plan.model)\t\(plan.rate)\t\(plan.effectiveFrom.rfc3339)\t\(plan.seedSHA256)\t"
                            + (plan.seed.map(AuditSeed.hex) ?? "(not readable)"))
                }
            }
        }
    }

    struct WorklistCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worklist", abstract: "Audit members still without a clinician label, oldest first: what to review next.")
        @Option(help: "The model.") var model: String
        @Option(help: "At most this many items.") var limit = 1000
        @Flag(help: "Print JSON on stdout.") var json = false
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let app = database.app()
            let worklist = try app.audited("audit worklist", object: ["model": model, "limit": String(limit)]) {
                try app.auditWorklist(model: model, limit: limit)
            }
            if json {
                printJSON(worklist.json)
                return
            }
            print("prediction_id\toccurred_at\twaiting_days\tsite")
            for item in worklist.items {
                let waited = Double(worklist.asOf.microseconds - item.occurredAt.microseconds) / 86_400e6
                print("\(item.predictionID)\t\(item.occurredAt.rfc3339)\t\(String(format: "%.1f", waited))\t\(item.site ?? "-")")
            }
            printError("\(worklist.items.count) audit member(s) of \(model) waiting for review")
        }
    }
}
