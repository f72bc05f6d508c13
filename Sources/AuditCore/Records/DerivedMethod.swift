/// The three UE scores the product derives itself from a prediction's option logits or probabilities
/// (docs/statistics.md); clients may not supply them. Every other method name is the client's.
public enum DerivedMethod: String, Sendable, CaseIterable {
    /// Maximum softmax probability.
    case msp
    /// Top-1 minus top-2 probability.
    case margin
    /// Shannon entropy of the option probabilities.
    case entropy

    /// Higher msp and margin mean more trust; higher entropy less.
    public var orientation: Orientation {
        switch self {
        case .msp, .margin: .confidence
        case .entropy: .uncertainty
        }
    }

    /// This method's value among a prediction's derived scores.
    public func value(in derived: (msp: Double, margin: Double, entropy: Double)) -> Double {
        switch self {
        case .msp: derived.msp
        case .margin: derived.margin
        case .entropy: derived.entropy
        }
    }

    /// The names of the derived methods.
    public static let names: Set<String> = Set(allCases.map(\.rawValue))
}
