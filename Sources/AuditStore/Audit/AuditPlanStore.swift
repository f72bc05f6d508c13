import AuditCore
import PQ

/// The audit plans (append-only, hash-chained like calibration events) and the membership queries run on them.
public enum AuditPlanStore {
    /// Stores a new plan for `model`, chained after the newest plan.
    ///
    /// Re-creating a plan identical to a stored one (same model, effective_from, rate and seed) is a no-op that returns
    /// the stored plan; any other plan with the same effective_from is refused.
    /// - Throws: ``AuditPlanError`` for a rate outside (0, 1], a seed that is not 32 bytes, a plan for a model with no
    ///   predictions (unless `allowNewModel`), or a second plan with the same effective_from.
    public static func create(
        _ connection: PQConnection, model: String, rate: Double, seed: [UInt8], effectiveFrom: Timestamp, createdBy: String,
        reason: String, allowNewModel: Bool = false
    ) throws -> (plan: AuditPlan, created: Bool) {
        guard rate.isFinite, rate > 0, rate <= 1 else {
            throw AuditPlanError(field: "rate", description: "rate must lie in (0, 1], not \(rate)")
        }
        guard seed.count == 32 else {
            throw AuditPlanError(field: "seed", description: "the seed must be 32 bytes (64 hex digits), not \(seed.count) bytes")
        }
        guard !model.isEmpty else { throw AuditPlanError(field: "model", description: "the model name is empty") }
        return try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.auditPlans])
            if !allowNewModel, try !ScoredPredictionQueries.modelExists(connection, model: model) {
                throw AuditPlanError(
                    field: "model",
                    description:
                        "unknown model '\(model)': no prediction of it is stored (check the name; to plan before its first prediction, pass --new-model)"
                )
            }
            let seedHash = ChainHash.sha256(bytes: seed)
            if let existing = try plans(connection, model: model).first(where: { $0.effectiveFrom == effectiveFrom }) {
                if existing.rate == rate && existing.seedSHA256 == seedHash { return (existing, false) }
                throw AuditPlanError(
                    field: "effective_from",
                    description:
                        "model '\(model)' already has plan \(existing.planID) from \(effectiveFrom.rfc3339); plans are never edited: choose another --effective-from"
                )
            }
            let previous = try chainHead(connection) ?? ChainHash.genesis
            let draft = AuditPlan(
                planID: 0, model: model, rate: rate, seed: seed, seedSHA256: seedHash, effectiveFrom: effectiveFrom,
                createdBy: createdBy, reason: reason, planHash: "", createdAt: effectiveFrom)
            let hash = ChainHash.sha256(previous + "\n" + draft.canonicalText)
            let result = try connection.query(
                """
                INSERT INTO audit_plans (model, rate, seed, seed_sha256, member_bound, effective_from, created_by, reason,
                                         prev_plan_hash, plan_hash)
                VALUES ($1, $2, decode($3, 'hex'), $4, decode($5, 'hex'), $6, $7, $8, $9, $10) RETURNING plan_id
                """,
                [
                    model, rate, lowerCaseHex(seed), seedHash, AuditMembership.boundHex(rate: rate), effectiveFrom.rfc3339, createdBy,
                    reason,
                    previous, hash,
                ])
            let id: Int64 = try result.value("plan_id")
            guard let plan = try plans(connection, model: model).first(where: { $0.planID == id }) else {
                throw PQError(kind: .protocolViolation, message: "audit plan \(id) was stored but cannot be read back")
            }
            return (plan, true)
        }
    }

    /// Plans, newest first, of one model or of all.
    public static func plans(_ connection: PQConnection, model: String? = nil) throws -> [AuditPlan] {
        let result = try connection.query(
            """
            SELECT plan_id, model, rate, encode(seed, 'hex') AS seed_hex, seed_sha256,
                   (extract(epoch FROM effective_from) * 1000000)::int8 AS effective_us, created_by, reason, plan_hash,
                   (extract(epoch FROM created_at) * 1000000)::int8 AS created_us
            FROM audit_plans WHERE ($1::text IS NULL OR model = $1)
            ORDER BY effective_from DESC, plan_id DESC
            """, [model])
        return try result.rows.map { row in
            AuditPlan(
                planID: try row.decode("plan_id"), model: try row.decode("model"), rate: try row.decode("rate"),
                seed: bytes(hex: try row.decode("seed_hex")), seedSHA256: try row.decode("seed_sha256"),
                effectiveFrom: Timestamp(microseconds: try row.decode("effective_us")), createdBy: try row.decode("created_by"),
                reason: try row.decode("reason"), planHash: try row.decode("plan_hash"),
                createdAt: Timestamp(microseconds: try row.decode("created_us")))
        }
    }

    /// The plans of every model, by model.
    public static func schedules(_ connection: PQConnection) throws -> [String: AuditPlanSchedule] {
        Dictionary(grouping: try plans(connection), by: \.model).mapValues { AuditPlanSchedule(plans: $0) }
    }

    /// The newest plan's hash: the head of the audit plan chain (nil when no plan exists).
    public static func chainHead(_ connection: PQConnection) throws -> String? {
        let result = try connection.query("SELECT plan_hash FROM audit_plans ORDER BY plan_id DESC LIMIT 1")
        return result.rowCount == 0 ? nil : result.string(0, 0)
    }

    /// True when some plan has `hash` as its plan hash.
    public static func containsLink(_ connection: PQConnection, hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM audit_plans WHERE plan_hash = $1)", [hash]).bool(0, 0) == true
    }

    /// Recomputes the plan chain, each plan's seed hash and membership bound; returns the problems found.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query(
            """
            SELECT plan_id, model, rate, encode(seed, 'hex') AS seed_hex, seed_sha256, encode(member_bound, 'hex') AS bound_hex,
                   (extract(epoch FROM effective_from) * 1000000)::int8 AS effective_us, created_by, reason, prev_plan_hash, plan_hash
            FROM audit_plans ORDER BY plan_id
            """)
        var problems: [String] = []
        var previous = ChainHash.genesis
        for row in result.rows {
            let id: Int64 = try row.decode("plan_id")
            let rate: Double = try row.decode("rate")
            let plan = AuditPlan(
                planID: id, model: try row.decode("model"), rate: rate, seed: nil, seedSHA256: try row.decode("seed_sha256"),
                effectiveFrom: Timestamp(microseconds: try row.decode("effective_us")), createdBy: try row.decode("created_by"),
                reason: try row.decode("reason"), planHash: try row.decode("plan_hash"), createdAt: Timestamp(microseconds: 0))
            if ChainHash.sha256(bytes: bytes(hex: try row.decode("seed_hex"))) != plan.seedSHA256 {
                problems.append("audit plan \(id): its seed does not match the seed hash chained at creation (seed replaced)")
            }
            if try rate > 0 && rate <= 1 && row.decode("bound_hex") != AuditMembership.boundHex(rate: rate) {
                problems.append("audit plan \(id): member_bound does not match its rate (membership altered)")
            }
            if try row.decode("prev_plan_hash") != previous || plan.planHash != ChainHash.sha256(previous + "\n" + plan.canonicalText) {
                problems.append("audit plan \(id): does not match the audit plan chain (edited, removed or inserted)")
            }
            previous = plan.planHash
        }
        return problems
    }

    /// The SQL test "p is an audit member of the plan in force at its occurred_at", for a query over `predictions p`.
    static let memberJoin = """
        JOIN LATERAL (
            SELECT ap.plan_id, ap.seed, ap.member_bound FROM audit_plans ap
            WHERE ap.model = p.model AND ap.effective_from <= p.occurred_at
            ORDER BY ap.effective_from DESC LIMIT 1
        ) plan ON substr(sha256(plan.seed || convert_to(p.prediction_id, 'UTF8')), 1, 8) < plan.member_bound
        """

    /// Audit members of `model` still without an effective label, oldest first (at most `limit`).
    public static func worklist(_ connection: PQConnection, model: String, limit: Int = 1000) throws -> [AuditWorkItem] {
        let result = try connection.query(
            """
            SELECT p.prediction_id, (extract(epoch FROM p.occurred_at) * 1000000)::int8 AS occurred_us, p.site, p.case_ref, p.image_ref, plan.plan_id
            FROM predictions p
            \(memberJoin)
            WHERE p.model = $1 AND p.perturbation_of IS NULL AND p.label IS NULL
              AND p.occurred_at >= (SELECT min(effective_from) FROM audit_plans WHERE model = $1)
              AND NOT EXISTS (SELECT 1 FROM ground_truth g WHERE g.prediction_id = p.prediction_id)
            ORDER BY p.occurred_at, p.prediction_id
            LIMIT $2
            """, [model, limit])
        return try result.rows.map { row in
            AuditWorkItem(
                predictionID: try row.decode("prediction_id"), occurredAt: Timestamp(microseconds: try row.decode("occurred_us")),
                site: try row.decodeIfPresent("site"), caseRef: try row.decodeIfPresent("case_ref"),
                imageRef: try row.decodeIfPresent("image_ref"), planID: try row.decode("plan_id"))
        }
    }

    /// Audit members among the predictions stored by the given batches.
    public static func memberCount(_ connection: PQConnection, batchIDs: [Int64]) throws -> Int {
        guard !batchIDs.isEmpty, try connection.query("SELECT EXISTS (SELECT 1 FROM audit_plans)").bool(0, 0) == true else { return 0 }
        return try connection.query(
            """
            SELECT count(*) AS members FROM predictions p
            \(memberJoin)
            WHERE p.batch_id = ANY($1::int8[]) AND p.perturbation_of IS NULL
              AND p.model IN (SELECT model FROM audit_plans)
            """, [batchIDs]
        ).value("members")
    }
}

/// The bytes of a hex text as PostgreSQL's `encode(…, 'hex')` writes it (always valid, even length).
func bytes(hex text: String) -> [UInt8] {
    (try? AuditSeed.bytes(hex: text)) ?? []
}
