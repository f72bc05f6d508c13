import AuditCore
import AuditStore
import Statistics

/// The audit estimates of one model and window (docs/audit.md; STATISTICS.md "Audit sampling"): the ordinary statistics
/// computed on the labeled design sample, the prediction-powered accuracy, and the conditions they rest on.
struct AuditEstimate {
    /// q_min: the smallest rate in force in the window (members are thinned to it).
    let rate: Double
    let planIDs: [Int64]
    /// Clean predictions of the window that some plan covers.
    let covered: Int
    /// The design sample: covered predictions with u < q_min.
    let members: Int
    /// L: members with an effective label.
    let labeled: LabeledSet
    let methods: [String: MethodMetrics]
    /// PPI++ accuracy with f = calibrated msp; nil without a labeled member that has option scores.
    let ppi: PredictionPoweredMean?
    /// The accuracy over every label of the window (the naive figure).
    let naiveAccuracy: Double?
    let nota: NotaStatistics?
    /// Clean msp (T = 1) and collapse, for NOTA pairs whose clean prediction is in L and was right.
    let fragilityPairs: [(cleanMSP: Double, collapsed: Bool)]

    /// Completion below this is warned about: the missing labels may be the hard cases.
    static let completionWarning = 0.9

    var completion: Double? { members == 0 ? nil : Double(labeled.count) / Double(members) }
    var accuracy: Double? { labeled.accuracy }

    /// The interval the naive figure is checked against: PPI++'s, or the labeled sample's own normal interval.
    var interval: (low: Double, high: Double)? {
        if let ppi { return (ppi.low, ppi.high) }
        let outcomes = labeled.correct.map { $0 ? 1.0 : 0.0 }
        return PredictionPoweredMean(labeled: outcomes, predicted: outcomes.map { _ in 0 }, unlabeled: []).map { ($0.low, $0.high) }
    }

    var selectionGap: Double? { naiveAccuracy.flatMap { naive in accuracy.map { naive - $0 } } }

    /// True when the naive accuracy lies outside the audit interval: the labels were not a random sample.
    var selectionFlag: Bool {
        guard let naiveAccuracy, let interval else { return false }
        return naiveAccuracy < interval.low || naiveAccuracy > interval.high
    }

    var completionLow: Bool { (completion ?? 0) < Self.completionWarning }

    /// The `audit` block of `evaluate --json`.
    var json: JSONValue {
        .object([
            ("rate", .number(rate)), ("plans", .array(planIDs.map { .integer($0) })), ("covered", .count(covered)),
            ("members", .count(members)), ("labeled", .count(labeled.count)), ("completion", .number(completion)),
            ("completion_warning", .bool(completionLow)), ("accuracy", .number(accuracy)),
            ("methods", .object(methods.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) })),
            (
                "ppi_accuracy",
                ppi.map { ppi in
                    .object([
                        ("estimate", .number(ppi.estimate)), ("ci_low", .number(ppi.low)), ("ci_high", .number(ppi.high)),
                        ("lambda", .number(ppi.lambda)), ("n", .count(ppi.n)), ("N", .count(ppi.unlabeledCount)),
                    ])
                } ?? .null
            ),
            ("naive_accuracy", .number(naiveAccuracy)), ("selection_gap", .number(selectionGap)), ("selection_flag", .bool(selectionFlag)),
            ("nota", ModelEvaluation.notaJSON(nota)),
        ])
    }
}

/// Which clean predictions of a window are audit members.
struct DesignSample {
    let rate: Double
    let planIDs: [Int64]
    /// Per row of the window's clean predictions: covered by a plan, and a member at q_min.
    let covered: [Bool]
    let member: [Bool]

    /// The design sample of `clean` (a window's clean predictions) under `schedule`; nil when no plan is in force in the
    /// window, or when a plan's seed is not readable.
    init?(clean: [ScoredPrediction], schedule: AuditPlanSchedule?, from: Timestamp?, to: Timestamp?) {
        guard let schedule else { return nil }
        let inForce = schedule.plans(from: from, to: to)
        guard !inForce.isEmpty, inForce.allSatisfy({ $0.seed != nil }) else { return nil }
        let rate = inForce.map(\.rate).min()!
        self.rate = rate
        planIDs = inForce.map(\.planID)
        var covered: [Bool] = []
        var member: [Bool] = []
        covered.reserveCapacity(clean.count)
        member.reserveCapacity(clean.count)
        for row in clean {
            guard let plan = schedule.plan(at: row.occurredAt) else {
                covered.append(false)
                member.append(false)
                continue
            }
            covered.append(true)
            member.append(AuditMembership.isMember(seed: plan.seed!, predictionID: row.predictionID, rate: rate))
        }
        self.covered = covered
        self.member = member
    }
}

extension AuditApp {
    /// The audit estimates of one model's window: `clean` are its clean predictions (in window order), `naive` the
    /// accuracy over every label, `temperature` the calibration the prediction-powered estimate uses.
    static func auditEstimate(
        clean: [ScoredPrediction], design: DesignSample, naiveAccuracy: Double?, temperature: Double,
        orientations: [String: Orientation], probes: [ScoredPrediction], cleanLookup: [String: ScoredPrediction]
    ) -> AuditEstimate {
        var labeledRows: [ScoredPrediction] = []
        var outcomes: [Double] = []
        var predicted: [Double] = []
        var unlabeled: [Double] = []
        var members = 0
        var covered = 0
        for (index, row) in clean.enumerated() where design.covered[index] {
            covered += 1
            let isLabeledMember = design.member[index] && row.label != nil
            if design.member[index] { members += 1 }
            if isLabeledMember { labeledRows.append(row) }
            guard let f = row.calibratedMSP(temperature: temperature) else { continue }
            if isLabeledMember {
                outcomes.append(row.isCorrect! ? 1 : 0)
                predicted.append(f)
            } else {
                unlabeled.append(f)
            }
        }
        let labeled = LabeledSet(labeledRows)
        let methods = labeled.methodValues(orientations: orientations).mapValues {
            MethodMetrics(values: $0.values, correct: $0.correct, orientation: $0.orientation)
        }
        let auditIDs = Set(labeled.rows.map(\.predictionID))
        let auditLookup = cleanLookup.filter { auditIDs.contains($0.key) }
        return AuditEstimate(
            rate: design.rate, planIDs: design.planIDs, covered: covered, members: members, labeled: labeled, methods: methods,
            ppi: PredictionPoweredMean(labeled: outcomes, predicted: predicted, unlabeled: unlabeled), naiveAccuracy: naiveAccuracy,
            nota: notaStatistics(probes: probes, cleanLookup: auditLookup, orientations: orientations),
            fragilityPairs: fragilityPairs(probes: probes, cleanLookup: auditLookup))
    }

    /// Clean msp (T = 1) and whether the probe collapsed, for NOTA pairs whose clean answer was right.
    static func fragilityPairs(probes: [ScoredPrediction], cleanLookup: [String: ScoredPrediction]) -> [(cleanMSP: Double, collapsed: Bool)]
    {
        probes.compactMap { probe in
            guard let of = probe.perturbationOf, let clean = cleanLookup[of], clean.isCorrect == true, let probeOK = probe.isCorrect,
                let msp = clean.calibratedMSP(temperature: 1)
            else { return nil }
            return (msp, !probeOK)
        }
    }
}
