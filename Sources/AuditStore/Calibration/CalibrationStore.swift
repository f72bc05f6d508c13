import AuditCore
import PQ

/// Why a calibration status change was refused.
public struct CalibrationStoreError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// True when no version has the id asked for (as opposed to a status that does not allow the change).
    public var isUnknownVersion = false

    public init(description: String, isUnknownVersion: Bool = false) {
        self.description = description
        self.isUnknownVersion = isUnknownVersion
    }
}

/// The calibration store: versions (never changed) and their append-only, hash-chained status events.
public enum CalibrationStore {
    /// The lock that keeps two schedulers from fitting the same model at once (held for the session).
    public static func lockModel(_ connection: PQConnection, model: String) throws {
        try connection.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [StoreLocks.recalibration(model: model)])
    }

    /// Releases ``lockModel(_:model:)``.
    public static func unlockModel(_ connection: PQConnection, model: String) throws {
        try connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [StoreLocks.recalibration(model: model)])
    }

    /// The version of `model` fitted on exactly this data with these settings, if one exists.
    public static func version(_ connection: PQConnection, model: String, fingerprint: String) throws -> Int64? {
        let result = try connection.query(
            """
            SELECT version_id FROM calibration_versions WHERE model = $1 AND evidence->>'data_fingerprint' = $2
            ORDER BY version_id DESC LIMIT 1
            """, [model, fingerprint])
        return try result.rows.first?.decode("version_id")
    }

    /// Stores a new version with its first status event (`proposed` or `active`), in one transaction.
    /// Activating retires the model's previous active version in the same transaction.
    public static func insert(
        _ connection: PQConnection, version: CalibrationVersion, status: CalibrationStatus, actor: String, reason: String
    ) throws -> Int64 {
        try connection.transaction {
            let result = try connection.query(
                """
                INSERT INTO calibration_versions (model, method, temperature, threshold, mode, target_risk, delta, coverage,
                    empirical_risk, guarantee_met, window_from, window_to, n_fit, n_holdout, evidence, code_version, fitted_by,
                    content_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING version_id
                """,
                [
                    version.model, version.method, version.temperature, version.threshold, version.mode, version.targetRisk,
                    version.delta, version.coverage, version.empiricalRisk, version.guaranteeMet, version.windowFrom.rfc3339,
                    version.windowTo.rfc3339, version.nFit, version.nHoldout, CanonicalJSON.text(version.evidence),
                    version.codeVersion, version.fittedBy, ChainHash.sha256(version.canonicalText),
                ])
            let id: Int64 = try result.value("version_id")
            if status == .active {
                try retireActive(connection, model: version.model, actor: actor, reason: "superseded by version \(id)")
            }
            try appendEvent(connection, versionID: id, model: version.model, status: status, actor: actor, reason: reason)
            return id
        }
    }

    /// Signs the activation of `versionID` (a rollback when the version was active before) and, unless the deployment
    /// asks for two signers and this is the first, makes it the model's active version and retires the current one.
    ///
    /// With two signers, the first signature is recorded and the version stays as it is; a later signature by a
    /// different identity and a different printed name activates it. A signature counts toward the version's current
    /// status only (one given before the version was last retired does not).
    /// - Throws: ``CalibrationStoreError`` for an unknown, active or rejected version, or a second signature by the
    ///   signer who signed first.
    public static func activate(_ connection: PQConnection, versionID: Int64, signer: Signer, reason: String) throws -> SignedDecision {
        try connection.transaction {
            guard let version = try load(connection, versionID: versionID) else {
                throw CalibrationStoreError(description: "no calibration version \(versionID)", isUnknownVersion: true)
            }
            guard version.status != .active else {
                throw CalibrationStoreError(description: "version \(versionID) is already active for \(version.model)")
            }
            guard version.status != .rejected else {
                throw CalibrationStoreError(description: "version \(versionID) was rejected; fit a new one instead of activating it")
            }
            try connection.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))", [version.model])
            let meaning: SignatureMeaning = version.status == .retired ? .rolledBack : .approvedForDeployment
            let pending = try pendingSignatures(connection, versionID: versionID, meaning: meaning)
            if let first = pending.first, first.signer.identity == signer.identity || first.signer.name == signer.name {
                throw CalibrationStoreError(
                    description: "version \(versionID) already carries \(first.signer.description)'s signature; "
                        + "the second signature must come from a different person")
            }
            let signature = try CalibrationSignatures.append(
                connection, versionID: versionID, model: version.model, meaning: meaning, signer: signer, reason: reason)
            let signatures = pending + [signature]
            if try CalibrationSignatures.requiresTwoSigners(connection) && signatures.count < 2 {
                return .awaitingSecondSigner(first: signature)
            }
            let actor = signatures.map(\.signer.description).joined(separator: " and ")
            try retireActive(connection, model: version.model, actor: actor, reason: "superseded by version \(versionID)")
            try appendEvent(connection, versionID: versionID, model: version.model, status: .active, actor: actor, reason: reason)
            return .active(signatures: signatures)
        }
    }

    /// Signs the rejection of a proposed version and rejects it (one signer suffices).
    public static func reject(_ connection: PQConnection, versionID: Int64, signer: Signer, reason: String) throws -> SignedDecision {
        try connection.transaction {
            guard let version = try load(connection, versionID: versionID) else {
                throw CalibrationStoreError(description: "no calibration version \(versionID)", isUnknownVersion: true)
            }
            guard version.status == .proposed else {
                throw CalibrationStoreError(
                    description: "version \(versionID) is \(version.status?.rawValue ?? "unknown"); only a proposed version can be rejected"
                )
            }
            let signature = try CalibrationSignatures.append(
                connection, versionID: versionID, model: version.model, meaning: .rejected, signer: signer, reason: reason)
            try appendEvent(
                connection, versionID: versionID, model: version.model, status: .rejected, actor: signer.description, reason: reason)
            return .rejected(signature: signature)
        }
    }

    /// The signatures with `meaning` given to a version since its latest status event (those still waiting to count).
    private static func pendingSignatures(
        _ connection: PQConnection, versionID: Int64, meaning: SignatureMeaning
    ) throws -> [CalibrationSignature] {
        let since: Int64? = try connection.query(
            """
            SELECT (extract(epoch FROM max(recorded_at)) * 1000000)::int8 AS since_us FROM calibration_events WHERE version_id = $1
            """, [versionID]
        ).rows.first?.decodeIfPresent("since_us")
        return try CalibrationSignatures.list(connection, versionID: versionID).filter {
            $0.meaning == meaning && $0.signedAt.microseconds > (since ?? .min)
        }
    }

    private static func retireActive(_ connection: PQConnection, model: String, actor: String, reason: String) throws {
        let active = try connection.query("SELECT version_id FROM calibration_status WHERE model = $1 AND status = 'active'", [model])
        for row in active.rows {
            try appendEvent(
                connection, versionID: try row.decode("version_id"), model: model, status: .retired, actor: actor, reason: reason)
        }
    }

    private static func appendEvent(
        _ connection: PQConnection, versionID: Int64, model: String, status: CalibrationStatus, actor: String, reason: String
    ) throws {
        try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.calibrationEvents])
        let head = try connection.query("SELECT event_hash FROM calibration_events ORDER BY event_id DESC LIMIT 1")
        let previous = try head.rows.first?.decode("event_hash") ?? ChainHash.genesis
        let canonical = CanonicalJSON.text(
            .object(
                JSONObject([
                    ("actor", .string(actor)), ("model", .string(model)), ("reason", .string(reason)), ("status", .string(status.rawValue)),
                    ("version_id", .integer(versionID)),
                ])))
        try connection.query(
            """
            INSERT INTO calibration_events (version_id, model, status, actor, reason, prev_event_hash, event_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [versionID, model, status, actor, reason, previous, ChainHash.sha256(previous + "\n" + canonical)])
    }

    /// Versions, newest first, optionally of one model.
    public static func list(_ connection: PQConnection, model: String? = nil) throws -> [CalibrationVersion] {
        try select(connection, where: "($1::text IS NULL OR v.model = $1)", [model])
    }

    /// One version with its status.
    public static func load(_ connection: PQConnection, versionID: Int64) throws -> CalibrationVersion? {
        try select(connection, where: "v.version_id = $1", [versionID]).first
    }

    /// The model's active version.
    public static func active(_ connection: PQConnection, model: String) throws -> CalibrationVersion? {
        try select(connection, where: "v.model = $1 AND s.status = 'active'", [model]).first
    }

    /// Status events, oldest first, optionally only those recorded in [from, to).
    public static func events(_ connection: PQConnection, from: Timestamp? = nil, to: Timestamp? = nil) throws -> [CalibrationStatusEvent] {
        try connection.query(
            """
            SELECT event_id, version_id, model, status, actor, reason, event_hash,
                   (extract(epoch FROM recorded_at) * 1000000)::int8 AS recorded_us
            FROM calibration_events
            WHERE ($1::timestamptz IS NULL OR recorded_at >= $1) AND ($2::timestamptz IS NULL OR recorded_at < $2)
            ORDER BY event_id
            """, [from?.rfc3339, to?.rfc3339]
        ).rows.map { row in
            CalibrationStatusEvent(
                eventID: try row.decode("event_id"), versionID: try row.decode("version_id"), model: try row.decode("model"),
                status: try row.decode("status"), actor: try row.decode("actor"), reason: try row.decode("reason"),
                recordedAt: Timestamp(microseconds: try row.decode("recorded_us")), eventHash: try row.decode("event_hash"))
        }
    }

    /// Recomputes every version's content hash and the event chain; returns the problems found.
    /// The newest event's hash: the head of the calibration event chain (nil when no event exists).
    public static func eventChainHead(_ connection: PQConnection) throws -> String? {
        let result = try connection.query("SELECT event_hash FROM calibration_events ORDER BY event_id DESC LIMIT 1")
        return result.rowCount == 0 ? nil : result.string(0, 0)
    }

    /// True when some calibration event has `hash` as its event hash.
    public static func containsEvent(_ connection: PQConnection, hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM calibration_events WHERE event_hash = $1)", [hash]).bool(0, 0) == true
    }

    public static func verify(_ connection: PQConnection) throws -> [String] {
        var problems: [String] = []
        let stored = try connection.query("SELECT version_id, content_hash FROM calibration_versions ORDER BY version_id")
        let versions = Dictionary(uniqueKeysWithValues: try list(connection).map { ($0.versionID, $0) })
        for row in stored.rows {
            let id: Int64 = try row.decode("version_id")
            if let version = versions[id], ChainHash.sha256(version.canonicalText) != (try row.decode("content_hash") as String) {
                problems.append("calibration version \(id): content does not match its hash (edited)")
            }
        }
        let events = try connection.query(
            """
            SELECT event_id, version_id, model, status, actor, reason, prev_event_hash, event_hash FROM calibration_events ORDER BY event_id
            """)
        var previous = ChainHash.genesis
        for row in events.rows {
            let canonical = CanonicalJSON.text(
                .object(
                    JSONObject([
                        ("actor", .string(try row.decode("actor"))), ("model", .string(try row.decode("model"))),
                        ("reason", .string(try row.decode("reason"))), ("status", .string(try row.decode("status"))),
                        ("version_id", .integer(try row.decode("version_id"))),
                    ])))
            let hash: String = try row.decode("event_hash")
            if try row.decode("prev_event_hash") != previous || hash != ChainHash.sha256(previous + "\n" + canonical) {
                problems.append(
                    "calibration event \(try row.decode("event_id", as: Int64.self)): does not match the event chain (edited, removed or inserted)"
                )
            }
            previous = hash
        }
        return problems
    }

    private static func select(
        _ connection: PQConnection, where condition: String, _ parameters: [(any PQEncodable)?]
    ) throws -> [CalibrationVersion] {
        let result = try connection.query(
            """
            SELECT v.version_id, v.model, v.method, v.temperature, v.threshold, v.mode, v.target_risk, v.delta, v.coverage,
                   v.empirical_risk, v.guarantee_met, (extract(epoch FROM v.window_from) * 1000000)::int8 AS window_from_us,
                   (extract(epoch FROM v.window_to) * 1000000)::int8 AS window_to_us, v.n_fit, v.n_holdout, v.evidence::text,
                   v.code_version, v.fitted_by, (extract(epoch FROM v.created_at) * 1000000)::int8 AS created_us, s.status,
                   s.actor, s.reason, (extract(epoch FROM s.recorded_at) * 1000000)::int8 AS status_us
            FROM calibration_versions v LEFT JOIN calibration_status s USING (version_id)
            WHERE \(condition)
            ORDER BY v.version_id DESC
            """, parameters)
        return try result.rows.map { row in
            var version = CalibrationVersion(
                model: try row.decode("model"), method: try row.decode("method"), temperature: try row.decode("temperature"),
                threshold: try row.decodeIfPresent("threshold"), mode: try row.decode("mode"), targetRisk: try row.decode("target_risk"),
                delta: try row.decode("delta"), coverage: try row.decode("coverage"),
                empiricalRisk: try row.decodeIfPresent("empirical_risk"),
                guaranteeMet: try row.decode("guarantee_met"), windowFrom: Timestamp(microseconds: try row.decode("window_from_us")),
                windowTo: Timestamp(microseconds: try row.decode("window_to_us")), nFit: try row.decode("n_fit"),
                nHoldout: try row.decode("n_holdout"),
                evidence: try JSONParser.parse(try row.decode("evidence") as String, maximumDepth: 64),
                codeVersion: try row.decode("code_version"), fittedBy: try row.decode("fitted_by"))
            version.versionID = try row.decode("version_id")
            version.createdAt = Timestamp(microseconds: try row.decode("created_us"))
            version.status = try row.decodeIfPresent("status")
            version.statusActor = try row.decodeIfPresent("actor")
            version.statusReason = try row.decodeIfPresent("reason")
            version.statusAt = try row.decodeIfPresent("status_us", as: Int64.self).map(Timestamp.init(microseconds:))
            return version
        }
    }
}
