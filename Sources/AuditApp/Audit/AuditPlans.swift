import AuditCore
import AuditStore

/// What `audit plan create` asks for (docs/audit.md).
public struct AuditPlanRequest: Sendable {
    public var model: String
    /// q ∈ (0, 1].
    public var rate: Double
    /// 32 bytes; nil draws a random seed.
    public var seed: [UInt8]?
    /// Default: the database's clock (the plan covers predictions from now on).
    public var effectiveFrom: Timestamp?
    public var createdBy: String
    public var reason: String
    /// Allows a plan for a model with no prediction stored yet (before go-live).
    public var allowNewModel = false

    public init(
        model: String, rate: Double, seed: [UInt8]? = nil, effectiveFrom: Timestamp? = nil, createdBy: String,
        reason: String = "audit plan"
    ) {
        self.model = model
        self.rate = rate
        self.seed = seed
        self.effectiveFrom = effectiveFrom
        self.createdBy = createdBy
        self.reason = reason
    }
}

/// A member waiting for review, with how long it has waited.
public struct AuditWorklist: Sendable {
    public let model: String
    public let asOf: Timestamp
    public let items: [AuditWorkItem]

    /// `{model, as_of, count, items: [{prediction_id, occurred_at, waiting_days, site, case_ref, image_ref, plan_id}]}`.
    public var json: JSONValue {
        .object([
            ("model", .string(model)), ("as_of", .string(asOf.rfc3339)), ("count", .count(items.count)),
            (
                "items",
                .array(
                    items.map { item in
                        .object([
                            ("prediction_id", .string(item.predictionID)), ("occurred_at", .string(item.occurredAt.rfc3339)),
                            ("waiting_days", .number(Double(asOf.microseconds - item.occurredAt.microseconds) / 86_400e6)),
                            ("site", .text(item.site)), ("case_ref", .text(item.caseRef)), ("image_ref", .text(item.imageRef)),
                            ("plan_id", .integer(item.planID)),
                        ])
                    })
            ),
        ])
    }
}

extension AuditPlan {
    /// The `audit plan list --json` entry; `seed` only when the caller may read it.
    public var json: JSONValue {
        .object([
            ("plan_id", .integer(planID)), ("model", .string(model)), ("rate", .number(rate)),
            ("effective_from", .string(effectiveFrom.rfc3339)), ("seed_sha256", .string(seedSHA256)),
            ("seed", .text(seed.map(AuditSeed.hex))),
            ("created_by", .string(createdBy)), ("reason", .string(reason)), ("created_at", .string(createdAt.rfc3339)),
            ("plan_hash", .string(planHash)),
        ])
    }
}

extension AuditApp {
    /// Creates an audit plan (a random seed unless one is given); re-creating an identical plan is a no-op.
    /// - Throws: ``AuditPlanError`` for bad input; nothing is stored then.
    public func createAuditPlan(_ request: AuditPlanRequest) throws -> (plan: AuditPlan, created: Bool) {
        let connection = try migratedConnection()
        let effectiveFrom = try request.effectiveFrom ?? ScoredPredictionQueries.now(connection)
        return try AuditPlanStore.create(
            connection, model: request.model, rate: request.rate, seed: request.seed ?? AuditSeed.random(), effectiveFrom: effectiveFrom,
            createdBy: request.createdBy, reason: request.reason, allowNewModel: request.allowNewModel)
    }

    /// Audit plans, newest first.
    public func auditPlans(model: String? = nil) throws -> [AuditPlan] {
        try AuditPlanStore.plans(try migratedConnection(), model: model)
    }

    /// Audit members of `model` still without a label, oldest first.
    /// - Throws: ``UnknownModelError`` when the model has no predictions.
    public func auditWorklist(model: String, limit: Int = 1000) throws -> AuditWorklist {
        let connection = try migratedConnection()
        try Self.requireKnown([model], connection)
        return AuditWorklist(
            model: model, asOf: try ScoredPredictionQueries.now(connection),
            items: try AuditPlanStore.worklist(connection, model: model, limit: limit))
    }
}
