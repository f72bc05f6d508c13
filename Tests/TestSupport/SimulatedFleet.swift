import AuditApp
import Foundation

/// Simulated fleets ingested through the real path, for tests that need realistic data.
public enum SimulatedFleet {
    /// Simulates a fleet (defaults changed by `configure`) into a temporary folder, stores its audit plans, and ingests
    /// its predictions and labels into `app`; returns what the simulator wrote (its `now` is the end of the simulated history).
    @discardableResult
    public static func ingest(into app: AuditApp, _ configure: (inout SimulationOptions) -> Void) throws -> SimulationOutput {
        var options = SimulationOptions()
        configure(&options)
        var simulator = FleetSimulator(options: options)
        let output = try simulator.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)").path)
        try app.createSimulatedAuditPlans(options, output: output)
        _ = try app.ingest(paths: output.predictionFiles, options: IngestOptions(kind: .predictions))
        _ = try app.ingest(paths: [output.labelFile], options: IngestOptions(kind: .labels))
        return output
    }
}
