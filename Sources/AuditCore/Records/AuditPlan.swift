import Foundation

/// Why an audit plan was refused; nothing was stored.
public struct AuditPlanError: Error, CustomStringConvertible, Sendable {
    /// The option or field at fault (`rate`, `seed`, `model`, `effective_from`).
    public let field: String
    public let description: String

    public init(field: String, description: String) {
        self.field = field
        self.description = description
    }
}

/// A member of an audit sample still waiting for its clinician label.
public struct AuditWorkItem: Sendable {
    public let predictionID: String
    public let occurredAt: Timestamp
    public let site: String?
    public let caseRef: String?
    public let imageRef: String?
    public let planID: Int64

    public init(predictionID: String, occurredAt: Timestamp, site: String?, caseRef: String?, imageRef: String?, planID: Int64) {
        self.predictionID = predictionID
        self.occurredAt = occurredAt
        self.site = site
        self.caseRef = caseRef
        self.imageRef = imageRef
        self.planID = planID
    }
}

/// An audit plan: from `effective_from` on, until the model's next plan, every clean prediction whose membership number
/// u falls below `rate` is an audit member, reviewed by clinicians whatever the model's confidence (docs/audit.md).
public struct AuditPlan: Sendable, Equatable {
    public let planID: Int64
    public let model: String
    /// q ∈ (0, 1].
    public let rate: Double
    /// The secret 32-byte seed; nil only in a plan rebuilt from its hashed fields (`verify` reads the seed apart).
    public let seed: [UInt8]?
    /// Lower-case hex SHA-256 of the seed, chained at creation.
    public let seedSHA256: String
    public let effectiveFrom: Timestamp
    public let createdBy: String
    public let reason: String
    public let planHash: String
    public let createdAt: Timestamp

    public init(
        planID: Int64, model: String, rate: Double, seed: [UInt8]?, seedSHA256: String, effectiveFrom: Timestamp,
        createdBy: String, reason: String, planHash: String, createdAt: Timestamp
    ) {
        self.planID = planID
        self.model = model
        self.rate = rate
        self.seed = seed
        self.seedSHA256 = seedSHA256
        self.effectiveFrom = effectiveFrom
        self.createdBy = createdBy
        self.reason = reason
        self.planHash = planHash
        self.createdAt = createdAt
    }

    /// The canonical JSON the plan's chain link covers (everything but the seed itself, whose hash stands for it).
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("created_by", .string(createdBy)), ("effective_from", .string(effectiveFrom.rfc3339)), ("model", .string(model)),
                    ("rate", .number(rate)), ("reason", .string(reason)), ("seed_sha256", .string(seedSHA256)),
                ])))
    }
}

/// The plans of one model, oldest first, answering which plan governs a prediction.
public struct AuditPlanSchedule: Sendable {
    public let plans: [AuditPlan]

    public init(plans: [AuditPlan]) {
        self.plans = plans.sorted { $0.effectiveFrom < $1.effectiveFrom }
    }

    /// The plan in force at `instant`: the newest with effective_from ≤ instant; nil before the first.
    public func plan(at instant: Timestamp) -> AuditPlan? {
        plans.last { $0.effectiveFrom <= instant }
    }

    /// The plans in force at some instant of [from, to) (either bound open when nil).
    public func plans(from: Timestamp?, to: Timestamp?) -> [AuditPlan] {
        plans.indices.filter { index in
            let start = plans[index].effectiveFrom
            let end = index + 1 < plans.count ? plans[index + 1].effectiveFrom : nil
            let startsBeforeWindowEnds = to.map { start < $0 } ?? true
            let endsAfterWindowStarts = from.flatMap { from in end.map { $0 > from } } ?? true
            return startsBeforeWindowEnds && endsAfterWindowStarts
        }.map { plans[$0] }
    }
}

/// The secret seed of an audit plan.
public enum AuditSeed {
    /// 32 bytes from the system's cryptographically secure generator.
    public static func random() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The seed as 64 lower-case hex digits (what `--seed` takes).
    public static func hex(_ seed: [UInt8]) -> String { lowerCaseHex(seed) }

    /// A seed given as exactly 64 hex digits.
    /// - Throws: ``AuditPlanError`` (field `seed`) naming what is wrong with the text.
    public static func parse(hex text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count == 64 else {
            throw AuditPlanError(field: "seed", description: "the seed must be 64 hex digits (32 bytes), not \(digits.count) characters")
        }
        return try bytes(hex: text)
    }

    /// The bytes of an even-length hex text.
    public static func bytes(hex text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count - 1, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else {
                throw AuditPlanError(field: "seed", description: "the seed must be hex digits only (0-9, a-f)")
            }
            result.append(high << 4 | low)
        }
        return result
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
