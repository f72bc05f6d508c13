/// One stored prediction with what the statistics need: option scores, the effective label, every UE score.
public struct ScoredPrediction: Sendable {
    public let predictionID: String
    public let model: String
    public let occurredAt: Timestamp
    public let site: String?
    public let attributes: [(key: String, value: String)]
    public let optionCount: Int
    public let predicted: Int
    public let optionLogits: [Double]?
    public let optionProbs: [Double]?
    /// The effective label: newest clinician review, else a label logged with the prediction.
    public let label: Int?
    /// When the effective clinician label was reviewed (nil for labels logged with the prediction).
    public let labelReviewedAt: Timestamp?
    /// Client-supplied scores (confidence and uncertainty), by method.
    public let scores: [(method: String, value: Double)]
    public let escalated: Bool?
    public let perturbationKind: String?
    public let perturbationOf: String?
    public let ingestedAt: Timestamp
    /// The weights / prompt version that served the prediction, when logged.
    public let modelVersion: String?

    public init(
        predictionID: String, model: String, occurredAt: Timestamp, site: String?, attributes: [(key: String, value: String)],
        optionCount: Int, predicted: Int, optionLogits: [Double]?, optionProbs: [Double]?, label: Int?, labelReviewedAt: Timestamp?,
        scores: [(method: String, value: Double)], escalated: Bool?, perturbationKind: String?, perturbationOf: String?,
        ingestedAt: Timestamp, modelVersion: String?
    ) {
        self.predictionID = predictionID
        self.model = model
        self.occurredAt = occurredAt
        self.site = site
        self.attributes = attributes
        self.optionCount = optionCount
        self.predicted = predicted
        self.optionLogits = optionLogits
        self.optionProbs = optionProbs
        self.label = label
        self.labelReviewedAt = labelReviewedAt
        self.scores = scores
        self.escalated = escalated
        self.perturbationKind = perturbationKind
        self.perturbationOf = perturbationOf
        self.ingestedAt = ingestedAt
        self.modelVersion = modelVersion
    }

    /// True for a stress-test probe (never mixed into clean metrics).
    public var isProbe: Bool { perturbationOf != nil }

    /// True when the prediction has an effective label and it equals the predicted option.
    public var isCorrect: Bool? { label.map { $0 == predicted } }

    /// A slicing attribute by name; `site` is read from its own field.
    public func attribute(_ name: String) -> String? {
        if name == "site" { return site }
        return attributes.first { $0.key == name }?.value
    }
}
