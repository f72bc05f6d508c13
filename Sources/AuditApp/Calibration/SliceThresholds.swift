import AuditCore
import AuditStore
import Statistics

/// Per-slice escalation thresholds (docs/statistics.md, "Per-slice thresholds"): τ_g for every value g of one attribute,
/// each by Learn-then-Test on g's rows at δ / G (G = the slices fitted), so that the family keeps its δ. Stored in the
/// version's evidence under `per_slice` (covered by its content hash) and served with the calibration.
public struct SliceThresholds: Sendable, Equatable {
    /// One slice's threshold and why it has it.
    public struct Entry: Sendable, Equatable {
        public let value: String
        /// τ_g; nil: escalate every prediction of the slice.
        public let threshold: Double?
        /// Rows of the slice the threshold was chosen on.
        public let n: Int
        public let coverage: Double
        public let empiricalRisk: Double?
        /// True when τ_g carries its own guarantee (LTT at δ / G on the slice); false for a small slice that escalates,
        /// or that was explicitly given the version's global τ.
        public let ownGuarantee: Bool
        public let basis: String
    }

    public let attribute: String
    /// δ / G.
    public let deltaPerSlice: Double
    /// G: the slices with enough rows to be fitted.
    public let fitted: Int
    public let entries: [Entry]

    /// τ for a prediction whose attribute has `value`: its slice's, and nil (escalate) for a value not in the table.
    public func threshold(for value: String?) -> Double? {
        guard let value else { return nil }
        return entries.first { $0.value == value }?.threshold
    }

    /// Fits the table on `rows` (the guarantee basis of the fit split), scores at `temperature`.
    /// Slices with fewer than `minimum` rows escalate, or take `globalThreshold` when it is given (the person fitting
    /// accepted the global guarantee for them).
    static func fit(
        rows: LabeledSet, attribute: String, method: String, temperature: Double, orientation: Orientation,
        alpha: Double, delta: Double, minimum: Int, globalThreshold: Double??
    ) -> SliceThresholds {
        let groups = Dictionary(grouping: rows.rows.indices) { rows.rows[$0].attribute(attribute) }
        let values = groups.keys.compactMap { $0 }.sorted()
        let fitted = values.filter { groups[$0]!.count >= max(minimum, 1) }
        let deltaPerSlice = delta / Double(max(fitted.count, 1))
        let entries = values.map { value -> Entry in
            let indices = groups[value]!
            guard indices.count >= max(minimum, 1) else {
                if let global = globalThreshold {
                    return Entry(
                        value: value, threshold: global, n: indices.count, coverage: 0, empiricalRisk: nil, ownGuarantee: false,
                        basis: "fewer than \(minimum) rows: the version's global threshold, explicitly accepted")
                }
                return Entry(
                    value: value, threshold: nil, n: indices.count, coverage: 0, empiricalRisk: nil, ownGuarantee: false,
                    basis: "fewer than \(minimum) rows: escalate every prediction")
            }
            let slice = LabeledSet(indices.map { rows.rows[$0] })
            let scored = AuditApp.thresholdScores(slice, method: method, temperature: temperature, orientation: orientation)
            let rule = EscalationThreshold.learnThenTest(scores: scored.scores, correct: scored.correct, alpha: alpha, delta: deltaPerSlice)
            return Entry(
                value: value, threshold: rule.threshold, n: scored.scores.count, coverage: rule.coverage,
                empiricalRisk: rule.empiricalRisk, ownGuarantee: true,
                basis: rule.threshold == nil ? "no threshold passes at δ / G: escalate every prediction" : "Learn-then-Test at δ / G")
        }
        return SliceThresholds(attribute: attribute, deltaPerSlice: deltaPerSlice, fitted: fitted.count, entries: entries)
    }

    /// The evidence entry (`per_slice`).
    var json: JSONValue {
        .object([
            ("attribute", .string(attribute)), ("delta_per_slice", .number(deltaPerSlice)), ("fitted", .count(fitted)),
            ("unlisted_values", .string("escalate")),
            (
                "slices",
                .array(
                    entries.map { entry in
                        .object([
                            ("value", .string(entry.value)), ("threshold", .number(entry.threshold)), ("n", .count(entry.n)),
                            ("coverage", .number(entry.coverage)), ("empirical_risk", .number(entry.empiricalRisk)),
                            ("own_guarantee", .bool(entry.ownGuarantee)), ("basis", .string(entry.basis)),
                        ])
                    })
            ),
        ])
    }

    /// The table stored in a version's evidence, if it has one.
    init?(evidence: JSONValue) {
        guard let table = evidence["per_slice"], let attribute = table["attribute"]?.stringValue,
            case .array(let slices)? = table["slices"]
        else { return nil }
        self.attribute = attribute
        deltaPerSlice = table["delta_per_slice"]?.doubleValue ?? 0
        fitted = Int(table["fitted"]?.integerValue ?? 0)
        entries = slices.compactMap { slice in
            guard let value = slice["value"]?.stringValue else { return nil }
            return Entry(
                value: value, threshold: slice["threshold"]?.doubleValue, n: Int(slice["n"]?.integerValue ?? 0),
                coverage: slice["coverage"]?.doubleValue ?? 0, empiricalRisk: slice["empirical_risk"]?.doubleValue,
                ownGuarantee: slice["own_guarantee"] == .bool(true), basis: slice["basis"]?.stringValue ?? "")
        }
    }

    init(attribute: String, deltaPerSlice: Double, fitted: Int, entries: [Entry]) {
        self.attribute = attribute
        self.deltaPerSlice = deltaPerSlice
        self.fitted = fitted
        self.entries = entries
    }
}

/// The escalation rule of a calibration version as the product applies it: accept a prediction when its score (at the
/// version's temperature, negated for uncertainty methods) reaches the τ of its slice when the version has a slice
/// table, else the version's τ; no τ means escalate.
public struct AcceptanceRule: Sendable {
    public let version: CalibrationVersion
    public let orientation: Orientation
    public let slices: SliceThresholds?

    public init(version: CalibrationVersion, orientation: Orientation) {
        self.version = version
        self.orientation = orientation
        slices = SliceThresholds(evidence: version.evidence)
    }

    /// The rule with the orientation recorded in the version's evidence (confidence when it says none).
    public init(version: CalibrationVersion) {
        self.init(
            version: version, orientation: version.evidence["orientation"]?.stringValue.flatMap(Orientation.init(rawValue:)) ?? .confidence)
    }

    /// τ for `row`; nil: escalate it.
    public func threshold(for row: ScoredPrediction) -> Double? {
        guard let slices else { return version.threshold }
        return slices.threshold(for: row.attribute(slices.attribute))
    }

    /// The score compared with τ; nil when the prediction lacks the method.
    public func score(_ row: ScoredPrediction) -> Double? {
        AuditApp.thresholdScore(row, method: version.method, temperature: version.temperature, orientation: orientation)
    }

    /// True when the rule accepts `row` (it is not escalated).
    public func accepts(_ row: ScoredPrediction) -> Bool {
        guard let tau = threshold(for: row), let score = score(row) else { return false }
        return score >= tau
    }

    /// False when the rule escalates every prediction whatever its score.
    public var acceptsAnything: Bool {
        slices.map { $0.entries.contains { $0.threshold != nil } } ?? (version.threshold != nil)
    }
}
