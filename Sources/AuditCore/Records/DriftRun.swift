/// One stored drift check of one model.
public struct DriftRun: Sendable {
    public var runID: Int64 = 0
    public let model: String
    public let reference: (from: Timestamp, to: Timestamp)
    public let current: (from: Timestamp, to: Timestamp)
    /// The most serious of the run's findings.
    public let status: DriftSeverity
    public let testsRun: Int
    /// The findings document (canonical JSON).
    public let findings: JSONValue
    public var recordedAt: Timestamp?

    public init(
        model: String, reference: (from: Timestamp, to: Timestamp), current: (from: Timestamp, to: Timestamp),
        status: DriftSeverity, testsRun: Int, findings: JSONValue
    ) {
        self.model = model
        self.reference = reference
        self.current = current
        self.status = status
        self.testsRun = testsRun
        self.findings = findings
    }

    /// The canonical JSON of the run's content, whose SHA-256 is its stored content hash (docs/hash-chain.md).
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("current_from", .string(current.from.rfc3339)), ("current_to", .string(current.to.rfc3339)),
                    ("findings", findings), ("model", .string(model)), ("reference_from", .string(reference.from.rfc3339)),
                    ("reference_to", .string(reference.to.rfc3339)), ("status", .string(status.rawValue)),
                    ("tests_run", .integer(Int64(testsRun))),
                ])))
    }
}
