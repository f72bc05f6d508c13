import AuditCore
import PQ

/// The UE methods that stored predictions carry, by side, gathered while `verify` reads every prediction: the
/// registry `ue_methods` must say exactly this, because ingest registers a method's orientation with the first record
/// that stores it and never lets it change. The registry is not hashed, and every reader of scores takes orientations
/// from it, so a flipped orientation would silently invert what the report says about a method.
struct MethodSides: Sendable {
    private(set) var confidence = Set<String>()
    private(set) var uncertainty = Set<String>()
    private var lastConfidence: [String] = []
    private var lastUncertainty: [String] = []

    init(confidence: Set<String> = [], uncertainty: Set<String> = []) {
        self.confidence = confidence
        self.uncertainty = uncertainty
    }

    /// Notes the methods of one stored record; consecutive records nearly always name the same ones.
    mutating func note(_ record: PredictionRecord) {
        if !Self.same(record.confidence, lastConfidence) {
            lastConfidence = record.confidence.map(\.method)
            confidence.formUnion(lastConfidence)
        }
        if !Self.same(record.uncertainty, lastUncertainty) {
            lastUncertainty = record.uncertainty.map(\.method)
            uncertainty.formUnion(lastUncertainty)
        }
    }

    mutating func merge(_ other: MethodSides) {
        confidence.formUnion(other.confidence)
        uncertainty.formUnion(other.uncertainty)
    }

    private static func same(_ scores: [(method: String, value: Double)], _ names: [String]) -> Bool {
        scores.count == names.count && zip(scores, names).allSatisfy { $0.method == $1 }
    }
}

enum MethodRegistryCheck {
    /// The methods every store registers itself (migration 0001), derived at ingest from the option scores.
    static let derived: [String: Orientation] = Dictionary(
        uniqueKeysWithValues: DerivedMethod.allCases.map { ($0.rawValue, $0.orientation) })

    /// Compares `ue_methods` with the methods the stored predictions carry; returns one message per discrepancy.
    static func problems(_ connection: PQConnection, carried sides: MethodSides) throws -> [String] {
        let registry = try connection.query("SELECT method, orientation, derived FROM ue_methods ORDER BY method")
        var problems: [String] = []
        var registered = Set<String>()
        for row in registry.rows {
            let method: String = try row.decode("method")
            let orientation: String = try row.decode("orientation")
            registered.insert(method)
            let isDerived: Bool = try row.decode("derived")
            let derivedAs = derived[method]?.rawValue
            if isDerived || derivedAs != nil {
                if !isDerived || derivedAs != orientation {
                    problems.append(
                        "ue_methods: \(method) is registered as \(orientation)-oriented and derived = \(isDerived), "
                            + "but vlm-audit derives it as \(derivedAs ?? "nothing") (edited or inserted)")
                }
                continue
            }
            let other = orientation == Orientation.confidence.rawValue ? sides.uncertainty : sides.confidence
            if other.contains(method) {
                problems.append(
                    "ue_methods: \(method) is registered as \(orientation)-oriented, but stored predictions carry it "
                        + "on the other side (the orientation was edited)")
            } else if !sides.confidence.contains(method) && !sides.uncertainty.contains(method) {
                problems.append("ue_methods: \(method) is registered, but no stored prediction carries it (inserted)")
            }
        }
        for method in derived.keys.sorted() where !registered.contains(method) {
            problems.append("ue_methods: the derived method \(method) is missing (deleted)")
        }
        for method in sides.confidence.union(sides.uncertainty).sorted() where !registered.contains(method) {
            problems.append("ue_methods: \(method) is carried by stored predictions but not registered (deleted)")
        }
        return problems
    }
}
