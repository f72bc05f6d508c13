import AuditCore
import AuditStore
import Statistics

/// Every UE method's quality for one model and window, raw and under the active calibration.
struct ModelEvaluation {
    let model: String
    let from: Timestamp?
    let to: Timestamp?
    let clean: [ScoredPrediction]
    /// Each clean prediction's msp at T = 1 (nil without option scores).
    let cleanMSP: [Double?]
    let labeled: LabeledSet
    let methods: [String: MethodMetrics]
    let activeVersion: CalibrationVersion?
    let calibratedMethods: [String: MethodMetrics]
    let nllBefore: Double?
    let nllAfter: Double?
    let nota: NotaStatistics?
    /// Clean msp (T = 1) and whether the probe collapsed, for NOTA pairs whose clean answer was right.
    let fragilityPairs: [(cleanMSP: Double, collapsed: Bool)]
    /// The estimates on the audit sample; nil when no audit plan is in force in the window.
    let audit: AuditEstimate?

    /// The `evaluate --json` document (docs/formats.md).
    var json: JSONValue {
        var calibrated: JSONValue = .null
        if activeVersion != nil {
            var members: [(String, JSONValue)] = calibratedMethods.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) }
            members += [("nll_before", .number(nllBefore)), ("nll_after", .number(nllAfter))]
            calibrated = .object(members)
        }
        return .object([
            ("model", .string(model)), ("from", .text(from?.rfc3339)), ("to", .text(to?.rfc3339)),
            ("n", .count(clean.count)), ("n_labeled", .count(labeled.count)), ("accuracy", .number(labeled.accuracy)),
            ("temperature", .number(activeVersion?.temperature)),
            ("calibration_version", activeVersion.map { .integer($0.versionID) } ?? .null),
            ("methods", .object(methods.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) })),
            ("calibrated", calibrated),
            ("nota", Self.notaJSON(nota)),
            ("audit", audit?.json ?? .null),
        ])
    }

    /// The `nota` block of `evaluate --json`; without pairs, the required keys with zero pairs and nulls.
    static func notaJSON(_ nota: NotaStatistics?) -> JSONValue {
        guard let nota else {
            return .object([("pairs", .count(0)), ("clean_accuracy", .null), ("nota_accuracy", .null), ("fragility_auroc", .object([]))])
        }
        let methods = nota.methods.sorted { $0.key < $1.key }
        return .object([
            ("pairs", .count(nota.pairs)), ("clean_accuracy", .number(nota.cleanAccuracy)),
            ("nota_accuracy", .number(nota.notaAccuracy)), ("accuracy_drop", .number(nota.accuracyDrop)),
            ("collapses", .count(nota.collapses)),
            ("fragility_auroc", .object(methods.map { ($0.key, .number($0.value.fragilityAUROC)) })),
            ("method_pairs", .object(methods.map { ($0.key, .count($0.value.n)) })),
            (
                "confidence",
                .object(
                    methods.filter { $0.value.meanConfidenceClean != nil }.map { entry in
                        (
                            entry.key,
                            .object([
                                ("mean_clean", .number(entry.value.meanConfidenceClean)),
                                ("mean_nota", .number(entry.value.meanConfidenceNota)),
                                ("calibration_gap_nota", .number(entry.value.calibrationGapNota)),
                                ("ece_nota", .number(entry.value.eceNota)),
                            ])
                        )
                    })
            ),
        ])
    }
}

extension AuditApp {
    /// The `evaluate` use case: metrics of every UE method for `model` with from ≤ occurred_at < to.
    public func evaluate(model: String, from: Timestamp? = nil, to: Timestamp? = nil) throws -> JSONValue {
        let connection = try migratedConnection()
        try Self.requireKnown([model], connection)
        return try evaluation(connection, model: model, from: from, to: to).json
    }

    func evaluation(_ connection: StoreConnection, model: String, from: Timestamp?, to: Timestamp?) throws -> ModelEvaluation {
        let all = try ScoredPredictionQueries.load(connection, model: model, from: from, to: to)
        let orientations = try ScoredPredictionQueries.orientations(connection)
        let active = try CalibrationStore.active(connection, model: model)
        let schedule = AuditPlanSchedule(plans: try AuditPlanStore.plans(connection, model: model))
        return Self.evaluation(
            model: model, from: from, to: to, predictions: all, orientations: orientations, active: active,
            cleanLookup: try cleanPredictionsOfProbes(connection, model: model, probes: all.filter(\.isProbe)),
            schedule: schedule)
    }

    /// The clean predictions NOTA probes point to (they may lie outside the window).
    func cleanPredictionsOfProbes(
        _ connection: StoreConnection, model: String, probes: [ScoredPrediction]
    ) throws -> [String: ScoredPrediction] {
        let ids = Set(probes.compactMap(\.perturbationOf))
        guard !ids.isEmpty else { return [:] }
        let rows = try ScoredPredictionQueries.loadByID(connection, model: model, ids: Array(ids))
        return Dictionary(rows.map { ($0.predictionID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func evaluation(
        model: String, from: Timestamp?, to: Timestamp?, predictions: [ScoredPrediction], orientations: [String: Orientation],
        active: CalibrationVersion?, cleanLookup: [String: ScoredPrediction], schedule: AuditPlanSchedule? = nil
    ) -> ModelEvaluation {
        let clean = predictions.filter { !$0.isProbe }
        let labeled = LabeledSet(clean)
        let methods = labeled.methodValues(orientations: orientations).mapValues {
            MethodMetrics(values: $0.values, correct: $0.correct, orientation: $0.orientation)
        }
        var calibratedMethods: [String: MethodMetrics] = [:]
        var nllBefore: Double?
        var nllAfter: Double?
        if let active {
            for (name, entry) in labeled.methodValues(temperature: active.temperature, orientations: orientations)
            where DerivedMethod.names.contains(name) {
                calibratedMethods[name] = MethodMetrics(values: entry.values, correct: entry.correct, orientation: entry.orientation)
            }
            let set = labeled.withLogits
            nllBefore = CalibrationMetrics.nll(logits: set.logits, labels: set.labels)
            nllAfter = CalibrationMetrics.nll(logits: set.logits, labels: set.labels, temperature: active.temperature)
        }
        let probes = predictions.filter { $0.perturbationKind == "nota" && $0.label != nil }
        let nota = notaStatistics(probes: probes, cleanLookup: cleanLookup, orientations: orientations)
        let audit = DesignSample(clean: clean, schedule: schedule, from: from, to: to).map { design in
            auditEstimate(
                clean: clean, design: design, naiveAccuracy: labeled.accuracy, temperature: active?.temperature ?? 1,
                orientations: orientations, probes: probes, cleanLookup: cleanLookup)
        }
        return ModelEvaluation(
            model: model, from: from, to: to, clean: clean, cleanMSP: clean.map { $0.calibratedMSP(temperature: 1) }, labeled: labeled,
            methods: methods, activeVersion: active,
            calibratedMethods: calibratedMethods, nllBefore: nllBefore, nllAfter: nllAfter, nota: nota,
            fragilityPairs: fragilityPairs(probes: probes, cleanLookup: cleanLookup), audit: audit)
    }

    /// NOTA statistics over (clean, probe) pairs where both are labeled; nil when there are none.
    static func notaStatistics(
        probes: [ScoredPrediction], cleanLookup: [String: ScoredPrediction], orientations: [String: Orientation]
    ) -> NotaStatistics? {
        var cleanCorrect: [Bool] = []
        var probeCorrect: [Bool] = []
        var scores: [String: (pairs: [Int], clean: [Double], probe: [Double], orientation: Orientation)] = [:]
        for probe in probes {
            guard let of = probe.perturbationOf, let clean = cleanLookup[of], let cleanOK = clean.isCorrect, let probeOK = probe.isCorrect
            else { continue }
            let cleanValues = methodValues(of: clean, orientations: orientations)
            let probeValues = methodValues(of: probe, orientations: orientations)
            // Each method over the pairs where both sides carry it (appended in place: a copy taken out of the
            // dictionary would make every append copy the whole array).
            for (method, value) in cleanValues {
                guard let probeValue = probeValues[method]?.value else { continue }
                if scores[method] == nil { scores[method] = ([], [], [], value.orientation) }
                scores[method]!.pairs.append(cleanCorrect.count)
                scores[method]!.clean.append(value.value)
                scores[method]!.probe.append(probeValue)
            }
            cleanCorrect.append(cleanOK)
            probeCorrect.append(probeOK)
        }
        guard !cleanCorrect.isEmpty else { return nil }
        var methods: [String: PairedScores] = [:]
        for (method, entry) in scores {
            let isConfidence = entry.orientation == .confidence
            let inUnitRange = isConfidence && (entry.clean + entry.probe).allSatisfy { $0 >= 0 && $0 <= 1 }
            methods[method] = PairedScores(
                pairs: entry.pairs,
                clean: isConfidence ? entry.clean : entry.clean.map { -$0 },
                probe: isConfidence ? entry.probe : entry.probe.map { -$0 },
                cleanValues: entry.clean, probeValues: entry.probe, isCalibrationScore: inUnitRange)
        }
        return NotaStatistics(cleanCorrect: cleanCorrect, probeCorrect: probeCorrect, methods: methods)
    }

    /// Every method's raw value on one prediction (derived ones at T = 1).
    static func methodValues(
        of row: ScoredPrediction, orientations: [String: Orientation]
    ) -> [String: (value: Double, orientation: Orientation)] {
        var values: [String: (value: Double, orientation: Orientation)] = [:]
        if let derived = row.derivedScores() {
            for method in DerivedMethod.allCases { values[method.rawValue] = (derived.value(of: method), method.orientation) }
        }
        for score in row.scores where score.value.isFinite {
            values[score.method] = (score.value, orientations[score.method] ?? .confidence)
        }
        return values
    }
}
