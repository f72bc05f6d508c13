import AuditCore
import AuditStore
import Foundation
import Statistics

/// Settings of the synthetic hospital fleet (docs/simulator.md).
public struct SimulationOptions: Sendable {
    public var models = 12
    /// Clean predictions per model over all months.
    public var perModel = 5000
    public var months = 3
    /// The first month, `YYYY-MM`.
    public var start = "2026-09"
    public var seed: UInt64 = 1
    /// Share of clean predictions that also get a NOTA probe.
    public var probeShare = 0.15
    /// Whether the last month carries the drift event (a new scanner at site-b).
    public var driftEvent = true
    /// A change to the first model in the last month, for drift scenarios (docs/simulator.md).
    public var firstModelChange: ModelChange = .none
    /// The audit plan the simulated hospital runs from the first month on: every model's members are reviewed almost
    /// always (``Review``), whatever the model's confidence. 0 runs no audit.
    public var auditRate = 0.15
    /// Also write `truth.jsonl`: every clean prediction's true answer, for tests and the demo's comparison only (the
    /// product never ingests it).
    public var writeTruth = false

    /// How often clinicians review a prediction, and how soon (a log-normal delay of about a week).
    public enum Review {
        /// An audit member: reviewed almost always, whatever the model's confidence.
        public static let member = 0.97
        /// Escalated by the deployed service (low confidence), not an audit member.
        public static let escalated = 0.85
        /// Neither: reviewed rarely (a clinician happened to look).
        public static let other = 0.08
    }

    /// The secret seed of the simulated audit plan, derived from ``seed`` so that re-runs are identical.
    public var auditSeed: [UInt8] {
        // 64 hex digits always parse.
        try! AuditSeed.parse(hex: ChainHash.sha256("vlm-audit simulated audit plan \(seed)"))
    }

    /// What can happen to one model in the last month.
    public enum ModelChange: String, Sendable, CaseIterable {
        case none
        /// Logged logits twice as sharp (and verbalized confidence up by 0.1): scores rise, accuracy does not.
        case confidenceInflation = "confidence-inflation"
        /// A new model version (`2026.12`) that is markedly weaker (ability − 1.2) and no better calibrated.
        case newModelVersion = "new-model-version"
        /// From the middle of the month on, site-c's cases turn out wrong far more often than the model's confidence says
        /// (as the scanner shift does): its accepted-set error rises above α, what the sequential monitor must catch.
        case siteErrorRise = "site-error-rise"
    }

    public init() {}
}

/// What the simulator wrote.
public struct SimulationOutput: Sendable {
    public let predictionFiles: [String]
    public let labelFile: String
    public let manifest: String
    public let predictions: Int
    public let probes: Int
    public let labels: Int
    /// The simulated "now": labels reviewed after it have not arrived yet.
    public let now: Timestamp
    /// The start of the first month: where the audit plan takes effect.
    public let start: Timestamp
    /// `truth.jsonl` when asked for.
    public let truthFile: String?
}

/// A deterministic generator of realistic prediction logs and delayed clinician labels.
///
/// Each model m has an ability a_m; each item a difficulty d (slice offsets plus noise). The model's latent
/// beliefs ℓ put its answer ahead of the runner-up by softplus(1.8 (a_m − d) + noise); the truth is drawn from
/// softmax(ℓ), so the beliefs are calibrated by construction, and weaker models have flatter, less separating
/// beliefs. The logged logits are κ_m ℓ: κ_m > 1 makes the model overconfident (temperature scaling finds T ≈ κ_m).
public struct FleetSimulator {
    static let modelNames = [
        "llava-med-7b", "med-flamingo-9b", "radfm-14b", "biomedgpt-10b", "qwen2-vl-med-7b", "pathchat-13b",
        "chexagent-8b", "maira-2-7b", "rad-phi-4b", "medgemma-4b", "huatuo-vision-7b", "med-paligemma-3b",
    ]
    static let modalities = ["CT", "MR", "X-ray", "ultrasound", "pathology"]
    static let modalityDifficulty = [0.0, 0.3, -0.3, 0.6, 0.9]
    static let regions = ["chest", "abdomen", "head", "musculoskeletal", "pelvis"]
    static let questionTypes = ["abnormality", "location", "modality", "presence", "severity"]
    static let questionDifficulty = [0.2, 0.5, -0.8, -0.2, 0.7]
    static let sites = ["site-a", "site-b", "site-c"]

    let options: SimulationOptions
    private var random: Xoshiro256StarStar

    public init(options: SimulationOptions) {
        self.options = options
        random = Xoshiro256StarStar(seed: options.seed)
    }

    /// The model names of a fleet of `count` models.
    public static func names(count: Int) -> [String] {
        (0..<count).map { $0 < modelNames.count ? modelNames[$0] : "model-\($0 + 1)" }
    }

    /// Writes `predictions-YYYY-MM.jsonl` per month, `labels.jsonl` and `manifest.json` into `folder`.
    public mutating func write(to folder: String) throws -> SimulationOutput {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard let first = Timestamp.monthBounds(options.start) else {
            throw SimulationError(description: "--start must be YYYY-MM, not \(options.start)")
        }
        var monthBounds: [(String, Timestamp, Timestamp)] = []
        var cursor = first.start
        for _ in 0..<options.months {
            let month = cursor.month
            let bounds = Timestamp.monthBounds(month)!
            monthBounds.append((month, bounds.start, bounds.end))
            cursor = bounds.end
        }
        let now = monthBounds.last!.2.adding(seconds: 3 * 86_400)
        let names = Self.names(count: options.models)
        var labels: [(Timestamp, String)] = []
        var truths: [String] = []
        let auditSeed = options.auditSeed
        var predictionFiles: [String] = []
        var predictionCount = 0
        var probeCount = 0
        var manifestModels: [JSONValue] = []
        let perMonth = max(1, options.perModel / options.months)

        for (monthIndex, (month, start, end)) in monthBounds.enumerated() {
            let path = (folder as NSString).appendingPathComponent("predictions-\(month).jsonl")
            var lines: [String] = []
            let drifting = options.driftEvent && monthIndex == options.months - 1 && options.months > 1
            for (modelIndex, model) in names.enumerated() {
                let profile = ModelProfile(index: modelIndex, count: names.count)
                if monthIndex == 0 {
                    manifestModels.append(
                        .object([
                            ("model", .string(model)), ("ability", .number(profile.ability)),
                            ("overconfidence", .number(profile.overconfidence)), ("noise", .number(profile.noise)),
                        ]))
                }
                for item in 0..<perMonth {
                    let id = "\(model)-\(month)-\(item)"
                    let occurred = Timestamp(
                        microseconds: start.microseconds + Int64(random.uniform() * Double(end.microseconds - start.microseconds - 1)))
                    var change = monthIndex == options.months - 1 && modelIndex == 0 ? options.firstModelChange : .none
                    if change == .siteErrorRise && occurred.microseconds < (start.microseconds + end.microseconds) / 2 { change = .none }
                    let prediction = simulate(id: id, model: model, profile: profile, at: occurred, drifting: drifting, change: change)
                    lines.append(prediction.line)
                    predictionCount += 1
                    let member =
                        options.auditRate > 0 && AuditMembership.isMember(seed: auditSeed, predictionID: id, rate: options.auditRate)
                    let delay = randomDelay(escalated: prediction.escalated, member: member)
                    if options.writeTruth {
                        truths.append(CanonicalJSON.text(.object([("prediction_id", .string(id)), ("truth", .count(prediction.truth))])))
                    }
                    if let label = prediction.label(reviewedAfter: delay), label.0 <= now { labels.append(label) }
                    if random.uniform() < options.probeShare {
                        lines.append(prediction.probeLine(random: &random))
                        probeCount += 1
                    }
                }
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            predictionFiles.append(path)
        }
        labels.sort { $0.0 < $1.0 }
        let labelPath = (folder as NSString).appendingPathComponent("labels.jsonl")
        try (labels.map(\.1).joined(separator: "\n") + "\n").write(toFile: labelPath, atomically: true, encoding: .utf8)
        var truthPath: String?
        if options.writeTruth {
            let path = (folder as NSString).appendingPathComponent("truth.jsonl")
            try (truths.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            truthPath = path
        }
        let manifestPath = (folder as NSString).appendingPathComponent("manifest.json")
        let manifest = JSONValue.object([
            ("seed", .integer(Int64(options.seed))), ("start", .string(options.start)), ("months", .count(options.months)),
            ("per_model", .count(options.perModel)), ("now", .string(now.rfc3339)),
            (
                "drift_event",
                .string(
                    options.driftEvent
                        ? "last month: a new scanner at site-b shifts the modality mix towards MR and makes its cases harder" : "none")
            ),
            ("first_model_change", .string(options.firstModelChange.rawValue)),
            (
                "audit",
                .object([
                    ("rate", .number(options.auditRate)), ("seed_sha256", .string(ChainHash.sha256(bytes: auditSeed))),
                    ("effective_from", .string(first.start.rfc3339)),
                    (
                        "review",
                        .object([
                            ("member", .number(SimulationOptions.Review.member)),
                            ("escalated", .number(SimulationOptions.Review.escalated)),
                            ("other", .number(SimulationOptions.Review.other)),
                        ])
                    ),
                ])
            ),
            ("models", .array(manifestModels)),
        ])
        try (CanonicalJSON.text(manifest) + "\n").write(toFile: manifestPath, atomically: true, encoding: .utf8)
        return SimulationOutput(
            predictionFiles: predictionFiles, labelFile: labelPath, manifest: manifestPath,
            predictions: predictionCount, probes: probeCount, labels: labels.count, now: now, start: first.start,
            truthFile: truthPath)
    }

    /// Per-model traits, spread so that accuracies run roughly from 0.3 to 0.85.
    struct ModelProfile {
        let ability: Double
        let overconfidence: Double
        let noise: Double
        let optionCount: Int

        init(index: Int, count: Int) {
            let rank = count > 1 ? Double(index) / Double(count - 1) : 0.5
            ability = 1.6 - 2.0 * rank
            noise = 0.3 + 0.5 * rank
            // κ: most models are overconfident (their logged logits are their beliefs × 1.4 to 2.2); every fourth
            // one is underconfident (× 0.6). Temperature scaling should find T ≈ κ.
            overconfidence = index % 4 == 3 ? 0.6 : 1.4 + 0.4 * Double(index % 3)
            optionCount = index % 2 == 0 ? 4 : 5
        }
    }

    struct SimulatedPrediction {
        let id: String
        let model: String
        let occurredAt: Timestamp
        let options: [String]
        let logits: [Double]
        let probabilities: [Double]
        let predicted: Int
        let truth: Int
        let escalated: Bool
        let evidence: Double
        let attributes: [(String, String)]
        let site: String
        let modelVersion: String
        let clientScores: (verbalized: Double, pTrue: Double, semanticEntropy: Double, consistency: Double, sequenceNLL: Double)

        var line: String {
            let record = JSONValue.object([
                ("prediction_id", .string(id)), ("model", .string(model)), ("model_version", .string(modelVersion)),
                ("site", .string(site)), ("occurred_at", .string(occurredAt.rfc3339)),
                ("case_ref", .string("case-\(ChainHash.sha256("case:" + id).prefix(12))")),
                ("image_ref", .string("sha256:\(ChainHash.sha256("image:" + id))")),
                ("attributes", .object(attributes.map { ($0.0, .string($0.1)) })),
                ("options", .array(options.map { .string($0) })),
                ("option_logits", .array(logits.map { .number($0) })),
                ("predicted", .count(predicted)), ("escalated", .bool(escalated)),
                (
                    "confidence",
                    .object([
                        ("verbalized", .number(clientScores.verbalized)), ("p_true", .number(clientScores.pTrue)),
                        ("consistency", .number(clientScores.consistency)),
                    ])
                ),
                (
                    "uncertainty",
                    .object([
                        ("semantic_entropy", .number(clientScores.semanticEntropy)),
                        ("sequence_nll", .number(clientScores.sequenceNLL)),
                    ])
                ),
            ])
            return CanonicalJSON.text(record)
        }

        /// The clinician label, reviewed `delay` seconds later when it is reviewed at all.
        func label(reviewedAfter delay: (seconds: Int64, reviewed: Bool)) -> (Timestamp, String)? {
            guard delay.reviewed else { return nil }
            let reviewedAt = occurredAt.adding(seconds: delay.seconds)
            let text = CanonicalJSON.text(
                .object([
                    ("prediction_id", .string(id)), ("label", .count(truth)),
                    ("reviewer", .string("rad-\(Int(ChainHash.sha256("reviewer:" + id).prefix(4), radix: 16)! % 40)")),
                    ("reviewed_at", .string(reviewedAt.rfc3339)),
                ]))
            return (reviewedAt, text)
        }

        /// A NOTA probe: the correct option is replaced by "None of the above", which becomes the right answer.
        /// Accuracy collapses (more so where the clean evidence was weak) while confidence barely moves.
        func probeLine(random: inout Xoshiro256StarStar) -> String {
            var probeOptions = options
            probeOptions[truth] = "None of the above"
            let collapseChance = 1 / (1 + exp(1.2 * (evidence - 0.5)))
            let keepsRight = predicted == truth && random.uniform() > collapseChance
            var probePredicted = predicted
            if !keepsRight && probePredicted == truth {
                probePredicted = (truth + 1 + random.index(below: options.count - 1)) % options.count
            }
            if keepsRight { probePredicted = truth }
            var probs = probabilities
            let top = max(0.05, probs[predicted] - 0.03 + 0.02 * (random.uniform() - 0.5))
            probs.swapAt(predicted, probePredicted)
            let rest = (1 - top) / Double(probs.count - 1)
            probs = probs.indices.map { $0 == probePredicted ? top : rest }
            let record = JSONValue.object([
                ("prediction_id", .string(id + "-nota")), ("model", .string(model)), ("model_version", .string(modelVersion)),
                ("site", .string(site)), ("occurred_at", .string(occurredAt.adding(seconds: 60).rfc3339)),
                ("attributes", .object(attributes.map { ($0.0, .string($0.1)) })),
                ("options", .array(probeOptions.map { .string($0) })),
                ("option_probs", .array(probs.map { .number(($0 * 1e9).rounded() / 1e9) })),
                ("predicted", .count(probePredicted)), ("label", .count(truth)),
                ("perturbation", .object([("kind", .string("nota")), ("of", .string(id))])),
                (
                    "confidence",
                    .object([
                        ("verbalized", .number(clientScores.verbalized)),
                        ("p_true", .number(max(0, clientScores.pTrue - 0.02))),
                        ("consistency", .number(clientScores.consistency)),
                    ])
                ),
                (
                    "uncertainty",
                    .object([
                        ("semantic_entropy", .number(clientScores.semanticEntropy + 0.05)),
                        ("sequence_nll", .number(clientScores.sequenceNLL + 0.03)),
                    ])
                ),
            ])
            return CanonicalJSON.text(record)
        }
    }

    private mutating func simulate(
        id: String, model: String, profile: ModelProfile, at occurredAt: Timestamp, drifting: Bool,
        change: SimulationOptions.ModelChange
    ) -> SimulatedPrediction {
        var site = Self.sites[random.index(below: Self.sites.count)]
        var modalityIndex = random.index(below: Self.modalities.count)
        var hiddenShift = false
        if drifting && site == "site-b" {
            // The new scanner at site-b: far more MR studies, on which the model is wrong more often than it knows.
            if random.uniform() < 0.6 { modalityIndex = 1 }
            hiddenShift = true
        }
        if drifting && random.uniform() < 0.1 { site = "site-b" }
        let siteTurnsBad = change == .siteErrorRise && site == "site-c"
        let questionIndex = random.index(below: Self.questionTypes.count)
        let difficulty = Self.modalityDifficulty[modalityIndex] + Self.questionDifficulty[questionIndex] + 0.7 * normal()
        let ability = profile.ability - (change == .newModelVersion ? 1.2 : 0)
        let strength = 1.8 * (ability - difficulty) + profile.noise * normal()
        let k = profile.optionCount
        // The model's latent, calibrated beliefs ℓ: the answer leads the others by softplus(strength).
        var latent = (0..<k).map { _ in 0.7 * normal() }
        let predicted = random.index(below: k)
        let runnerUp = latent.indices.filter { $0 != predicted }.map { latent[$0] }.max()!
        latent[predicted] = runnerUp + log1p(exp(strength))
        var truthWeights = softmax(latent)
        if hiddenShift || siteTurnsBad {
            // The scanner shift makes confident answers wrong more often; site-c's change, far more often.
            truthWeights[predicted] *= siteTurnsBad ? 0.05 : 0.25
            let total = truthWeights.reduce(0, +)
            truthWeights = truthWeights.map { $0 / total }
        }
        let truth = sample(truthWeights)
        // What the model logs: its beliefs sharpened (κ > 1, overconfident) or flattened (κ < 1).
        let sharpening = profile.overconfidence * (change == .confidenceInflation ? 2 : 1)
        let logits = latent.map { (($0 * sharpening) * 1e6).rounded() / 1e6 }
        let probabilities = softmax(logits)
        let top = probabilities[predicted]
        let evidence = log(softmax(latent)[predicted] / (1 - softmax(latent)[predicted]))
        let sigmoidEvidence = 1 / (1 + exp(-evidence))
        let verbalized = min(
            1, max(0, ((1 / (1 + exp(-(1.5 * evidence + 1.2)))) * 10).rounded() / 10 + (change == .confidenceInflation ? 0.1 : 0)))
        let pTrue = 1 / (1 + exp(-(0.8 * evidence + 0.7 * normal())))
        let semanticEntropy = max(0, 1.2 - 0.45 * evidence + 0.5 * normal())
        var successes = 0
        for _ in 0..<10 where random.uniform() < sigmoidEvidence { successes += 1 }
        let sequenceNLL = max(0, -log(max(top, 1e-6)) + abs(0.3 * normal()))
        let region = Self.regions[random.index(below: Self.regions.count)]
        return SimulatedPrediction(
            id: id, model: model, occurredAt: occurredAt,
            options: (0..<k).map { "option \(Character(UnicodeScalar(65 + $0)!))" },
            logits: logits, probabilities: probabilities, predicted: predicted, truth: truth, escalated: top < 0.6, evidence: evidence,
            attributes: [
                ("modality", Self.modalities[modalityIndex]), ("region", region), ("question_type", Self.questionTypes[questionIndex]),
            ],
            site: site, modelVersion: change == .newModelVersion ? "2026.12" : "2026.09",
            clientScores: (verbalized, pTrue, semanticEntropy, Double(successes) / 10, sequenceNLL))
    }

    private func softmax(_ values: [Double]) -> [Double] {
        let maximum = values.max()!
        let weights = values.map { exp($0 - maximum) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    private mutating func sample(_ weights: [Double]) -> Int {
        var draw = random.uniform()
        for (index, weight) in weights.enumerated() {
            draw -= weight
            if draw < 0 { return index }
        }
        return weights.count - 1
    }

    /// Label delay, about a week (log-normal), and whether the case is reviewed at all (``SimulationOptions/Review``).
    private mutating func randomDelay(escalated: Bool, member: Bool) -> (seconds: Int64, reviewed: Bool) {
        let days = exp(1.6 + 0.7 * normal())
        let chance =
            member ? SimulationOptions.Review.member : (escalated ? SimulationOptions.Review.escalated : SimulationOptions.Review.other)
        return (Int64(days * 86_400), random.uniform() < chance)
    }

    private mutating func normal() -> Double {
        let u1 = max(random.uniform(), 1e-300)
        let u2 = random.uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Why a simulation could not be written.
public struct SimulationError: Error, CustomStringConvertible {
    public let description: String
}

extension AuditApp {
    /// Stores the audit plan the simulated hospital ran (``SimulationOptions/auditRate``, ``SimulationOptions/auditSeed``)
    /// for every model of the fleet, from the first simulated month on; re-running stores nothing twice.
    @discardableResult
    public func createSimulatedAuditPlans(_ options: SimulationOptions, output: SimulationOutput) throws -> [AuditPlan] {
        guard options.auditRate > 0 else { return [] }
        return try FleetSimulator.names(count: options.models).map { model in
            var request = AuditPlanRequest(
                model: model, rate: options.auditRate, seed: options.auditSeed, effectiveFrom: output.start,
                createdBy: "vlm-audit simulate", reason: "the simulated hospital's audit sample")
            request.allowNewModel = true
            return try createAuditPlan(request).plan
        }
    }
}
