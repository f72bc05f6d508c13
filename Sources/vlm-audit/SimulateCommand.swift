import ArgumentParser
import AuditApp
import AuditCore

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write realistic synthetic hospital prediction logs and delayed clinician labels (see docs/simulator.md).")
    @Option(help: "Folder to write into.") var out: String
    @Option(help: "Number of models in the fleet.") var models = 12
    @Option(name: .customLong("per-model"), help: "Clean predictions per model over all months.") var perModel = 5000
    @Option(help: "Number of months.") var months = 3
    @Option(help: "First month, YYYY-MM.") var start = "2026-09"
    @Option(help: "Random seed (same seed, same files).") var seed: UInt64 = 1
    @Flag(name: .customLong("no-drift"), help: "Leave out the drift event of the last month.") var noDrift = false
    @Option(
        name: .customLong("first-model-change"),
        help: "What happens to the first model in the last month (docs/simulator.md).")
    var firstModelChange: SimulationOptions.ModelChange = .none
    @Option(
        name: .customLong("audit-rate"),
        help: "Share of predictions in the simulated hospital's audit sample, reviewed whatever their confidence (0: no audit).")
    var auditRate = 0.15
    @Flag(help: "Also write truth.jsonl, every clean prediction's true answer (for tests; never ingest it).") var truth = false

    func validate() throws {
        guard models > 0, perModel > 0, months > 0 else { throw ValidationError("--models, --per-model and --months must be positive") }
        guard auditRate >= 0 && auditRate <= 1 else { throw ValidationError("--audit-rate must lie in [0, 1], not \(auditRate)") }
    }

    func run() throws {
        var options = SimulationOptions()
        options.models = models
        options.perModel = perModel
        options.months = months
        options.start = start
        options.seed = seed
        options.driftEvent = !noDrift
        options.firstModelChange = firstModelChange
        options.auditRate = auditRate
        options.writeTruth = truth
        var simulator = FleetSimulator(options: options)
        let output = try simulator.write(to: out)
        for file in output.predictionFiles { print(file) }
        print(output.labelFile)
        if let truthFile = output.truthFile { print(truthFile) }
        if auditRate > 0 {
            printError(
                "the hospital's audit plan: rate \(auditRate) from \(output.start.rfc3339), seed \(AuditSeed.hex(options.auditSeed)) "
                    + "(store it with: vlm-audit audit plan create --model M --rate \(auditRate) --effective-from \(output.start.rfc3339) "
                    + "--seed \(AuditSeed.hex(options.auditSeed)))")
        }
        printError(
            "\(output.predictions) predictions, \(output.probes) NOTA probes, \(output.labels) labels (as of \(output.now.day)); manifest: \(output.manifest)"
        )
    }
}

extension SimulationOptions.ModelChange: ExpressibleByArgument {}
