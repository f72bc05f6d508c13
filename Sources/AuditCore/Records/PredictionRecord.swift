/// How a UE method's values are read: higher means more trust (confidence) or less (uncertainty).
public enum Orientation: String, Sendable, Codable, CaseIterable {
    case confidence, uncertainty
}

/// A stress-test probe's link to the clean prediction it was derived from.
public struct Perturbation: Sendable, Equatable {
    /// The kind of probe; `nota` ("None of the above") is the one the product evaluates.
    public let kind: String
    /// The clean prediction's id.
    public let of: String

    /// The kind of the "None of the above" probe, the only kind a record may carry.
    public static let notaKind = "nota"

    public init(kind: String, of: String) {
        self.kind = kind
        self.of = of
    }
}

/// A validated prediction record (docs/formats.md), with the UE scores the product derives itself.
public struct PredictionRecord: Sendable, Equatable {
    public var predictionID: String
    public var model: String
    public var modelVersion: String?
    public var site: String?
    public var occurredAt: Timestamp
    public var caseRef: String?
    public var imageRef: String?
    /// Slicing attributes, sorted by key.
    public var attributes: [(key: String, value: String)]
    public var question: String?
    public var options: [String]
    public var optionLogits: [Double]?
    public var optionProbs: [Double]?
    public var predicted: Int
    /// Client-supplied confidence-oriented scores, sorted by method name.
    public var confidence: [(method: String, value: Double)]
    /// Client-supplied uncertainty-oriented scores, sorted by method name.
    public var uncertainty: [(method: String, value: Double)]
    public var perturbation: Perturbation?
    public var label: Int?
    public var escalated: Bool?
    public var calibrationVersion: Int64?
    /// msp, margin and entropy at T = 1 (nil without logits or probabilities).
    public var derived: (msp: Double, margin: Double, entropy: Double)?

    public init(
        predictionID: String, model: String, modelVersion: String? = nil, site: String? = nil, occurredAt: Timestamp,
        caseRef: String? = nil, imageRef: String? = nil, attributes: [(key: String, value: String)] = [],
        question: String? = nil, options: [String], optionLogits: [Double]? = nil, optionProbs: [Double]? = nil,
        predicted: Int, confidence: [(method: String, value: Double)] = [], uncertainty: [(method: String, value: Double)] = [],
        perturbation: Perturbation? = nil, label: Int? = nil, escalated: Bool? = nil, calibrationVersion: Int64? = nil,
        derived: (msp: Double, margin: Double, entropy: Double)? = nil
    ) {
        self.predictionID = predictionID
        self.model = model
        self.modelVersion = modelVersion
        self.site = site
        self.occurredAt = occurredAt
        self.caseRef = caseRef
        self.imageRef = imageRef
        self.attributes = attributes.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        self.question = question
        self.options = options
        self.optionLogits = optionLogits
        self.optionProbs = optionProbs
        self.predicted = predicted
        self.confidence = confidence.sorted { $0.method.utf8.lexicographicallyPrecedes($1.method.utf8) }
        self.uncertainty = uncertainty.sorted { $0.method.utf8.lexicographicallyPrecedes($1.method.utf8) }
        self.perturbation = perturbation
        self.label = label
        self.escalated = escalated
        self.calibrationVersion = calibrationVersion
        self.derived = derived
    }

    public static func == (lhs: PredictionRecord, rhs: PredictionRecord) -> Bool {
        lhs.canonicalText == rhs.canonicalText
    }
}

/// A validated ground-truth record.
public struct LabelRecord: Sendable, Equatable {
    public var predictionID: String
    public var label: Int
    public var reviewer: String
    public var reviewedAt: Timestamp
    public var note: String?

    public init(predictionID: String, label: Int, reviewer: String, reviewedAt: Timestamp, note: String? = nil) {
        self.predictionID = predictionID
        self.label = label
        self.reviewer = reviewer
        self.reviewedAt = reviewedAt
        self.note = note
    }
}
