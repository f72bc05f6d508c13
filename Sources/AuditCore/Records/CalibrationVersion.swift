/// A calibration version: a temperature and an escalation threshold for one model, with their evidence.
public struct CalibrationVersion: Sendable {
    public var versionID: Int64 = 0
    public var model: String
    /// The score the threshold applies to (e.g. `msp`, calibrated with `temperature`).
    public var method: String
    public var temperature: Double
    /// τ: accept when the score ≥ τ; nil means no threshold passed, escalate everything.
    public var threshold: Double?
    /// `ltt` (Learn then Test) or `budget`.
    public var mode: String
    public var targetRisk: Double
    public var delta: Double
    public var coverage: Double
    public var empiricalRisk: Double?
    public var guaranteeMet: Bool
    public var windowFrom: Timestamp
    public var windowTo: Timestamp
    public var nFit: Int
    public var nHoldout: Int
    /// Everything else: metrics before and after, per-slice hold-out metrics, policy, decision (canonical JSON).
    public var evidence: JSONValue
    public var codeVersion: String
    public var fittedBy: String
    public var createdAt: Timestamp?
    /// The current status (from the newest event) and who set it, why, and when.
    public var status: CalibrationStatus?
    public var statusActor: String?
    public var statusReason: String?
    public var statusAt: Timestamp?

    public init(
        model: String, method: String, temperature: Double, threshold: Double?, mode: String, targetRisk: Double, delta: Double,
        coverage: Double, empiricalRisk: Double?, guaranteeMet: Bool, windowFrom: Timestamp, windowTo: Timestamp, nFit: Int,
        nHoldout: Int, evidence: JSONValue, codeVersion: String, fittedBy: String
    ) {
        self.model = model
        self.method = method
        self.temperature = temperature
        self.threshold = threshold
        self.mode = mode
        self.targetRisk = targetRisk
        self.delta = delta
        self.coverage = coverage
        self.empiricalRisk = empiricalRisk
        self.guaranteeMet = guaranteeMet
        self.windowFrom = windowFrom
        self.windowTo = windowTo
        self.nFit = nFit
        self.nHoldout = nHoldout
        self.evidence = evidence
        self.codeVersion = codeVersion
        self.fittedBy = fittedBy
    }

    /// The canonical text hashed into `content_hash` (every stored field but the id and creation time).
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("code_version", .string(codeVersion)), ("coverage", .number(coverage)), ("delta", .number(delta)),
                    ("empirical_risk", empiricalRisk.map { .number($0) } ?? .null), ("evidence", evidence),
                    ("fitted_by", .string(fittedBy)), ("guarantee_met", .bool(guaranteeMet)), ("method", .string(method)),
                    ("mode", .string(mode)), ("model", .string(model)), ("n_fit", .integer(Int64(nFit))),
                    ("n_holdout", .integer(Int64(nHoldout))), ("target_risk", .number(targetRisk)),
                    ("temperature", .number(temperature)), ("threshold", threshold.map { .number($0) } ?? .null),
                    ("window_from", .string(windowFrom.rfc3339)), ("window_to", .string(windowTo.rfc3339)),
                ])))
    }
}
