import AuditCore
import PQ

/// Signed calibration decisions and the deployment's signing policy (migration 0013): append-only, hash-chained.
public enum CalibrationSignatures {
    /// True when the deployment asks for two different signers before a version becomes active.
    public static func requiresTwoSigners(_ connection: PQConnection) throws -> Bool {
        let result = try connection.query("SELECT two_signers FROM calibration_policy ORDER BY policy_id DESC LIMIT 1")
        return try result.rows.first?.decode("two_signers") ?? false
    }

    /// Sets the signing policy, recorded with who and why, chained after the previous setting.
    public static func setPolicy(_ connection: PQConnection, twoSigners: Bool, actor: String, reason: String) throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.calibrationPolicy])
            let previous: String =
                try connection.query("SELECT policy_hash FROM calibration_policy ORDER BY policy_id DESC LIMIT 1").rows.first?
                .decode("policy_hash") ?? ChainHash.genesis
            let now = try ScoredPredictionQueries.now(connection)
            try connection.query(
                """
                INSERT INTO calibration_policy (two_signers, actor, reason, recorded_at, prev_policy_hash, policy_hash)
                VALUES ($1, $2, $3, $4::timestamptz, $5, $6)
                """,
                [
                    twoSigners, actor, reason, now.rfc3339, previous,
                    policyHash(previous: previous, twoSigners: twoSigners, actor: actor, reason: reason, at: now),
                ])
        }
    }

    /// Records a signature inside the caller's transaction, chained after the newest one.
    static func append(
        _ connection: PQConnection, versionID: Int64, model: String, meaning: SignatureMeaning, signer: Signer, reason: String
    ) throws -> CalibrationSignature {
        try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.calibrationSignatures])
        let previous: String =
            try connection.query("SELECT signature_hash FROM calibration_signatures ORDER BY signature_id DESC LIMIT 1").rows.first?
            .decode("signature_hash") ?? ChainHash.genesis
        let unsigned = CalibrationSignature(
            signatureID: 0, versionID: versionID, model: model, meaning: meaning, signer: signer, reason: reason,
            signedAt: try ScoredPredictionQueries.now(connection), signatureHash: "")
        let hash = ChainHash.sha256(previous + "\n" + unsigned.canonicalText)
        let id: Int64 = try connection.query(
            """
            INSERT INTO calibration_signatures (version_id, model, meaning, signer_name, signer_identity, reason, signed_at,
                                                prev_signature_hash, signature_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9) RETURNING signature_id
            """,
            [
                versionID, model, meaning.rawValue, signer.name, signer.identity, reason, unsigned.signedAt.rfc3339, previous, hash,
            ]
        ).value("signature_id")
        return CalibrationSignature(
            signatureID: id, versionID: versionID, model: model, meaning: meaning, signer: signer, reason: reason,
            signedAt: unsigned.signedAt, signatureHash: hash)
    }

    /// The signatures of one version (or of every version), oldest first.
    public static func list(_ connection: PQConnection, versionID: Int64? = nil) throws -> [CalibrationSignature] {
        try connection.query(
            """
            SELECT signature_id, version_id, model, meaning, signer_name, signer_identity, reason,
                   (extract(epoch FROM signed_at) * 1000000)::int8 AS signed_us, signature_hash
            FROM calibration_signatures WHERE ($1::int8 IS NULL OR version_id = $1) ORDER BY signature_id
            """, [versionID]
        ).rows.map(decode)
    }

    /// Walks both chains (signatures and policy settings); returns one message per broken link.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        var problems: [String] = []
        var previous = ChainHash.genesis
        let signatures = try connection.query(
            """
            SELECT signature_id, version_id, model, meaning, signer_name, signer_identity, reason,
                   (extract(epoch FROM signed_at) * 1000000)::int8 AS signed_us, signature_hash, prev_signature_hash
            FROM calibration_signatures ORDER BY signature_id
            """)
        for row in signatures.rows {
            let signature = try decode(row)
            let storedPrevious: String = try row.decode("prev_signature_hash")
            if storedPrevious != previous || ChainHash.sha256(storedPrevious + "\n" + signature.canonicalText) != signature.signatureHash {
                problems.append(
                    "calibration signature \(signature.signatureID): does not match the signature chain (edited, removed or inserted)")
            }
            previous = signature.signatureHash
        }
        previous = ChainHash.genesis
        let policies = try connection.query(
            """
            SELECT policy_id, two_signers, actor, reason, (extract(epoch FROM recorded_at) * 1000000)::int8 AS recorded_us,
                   prev_policy_hash, policy_hash
            FROM calibration_policy ORDER BY policy_id
            """)
        for row in policies.rows {
            let storedPrevious: String = try row.decode("prev_policy_hash")
            let hash: String = try row.decode("policy_hash")
            let expected = policyHash(
                previous: storedPrevious, twoSigners: try row.decode("two_signers"), actor: try row.decode("actor"),
                reason: try row.decode("reason"), at: Timestamp(microseconds: try row.decode("recorded_us")))
            if storedPrevious != previous || expected != hash {
                problems.append(
                    "calibration policy \(try row.decode("policy_id", as: Int64.self)): does not match the policy chain (edited, removed or inserted)"
                )
            }
            previous = hash
        }
        return problems
    }

    private static func policyHash(previous: String, twoSigners: Bool, actor: String, reason: String, at: Timestamp) -> String {
        ChainHash.sha256(
            previous + "\n"
                + CanonicalJSON.text(
                    .object(
                        JSONObject([
                            ("actor", .string(actor)), ("reason", .string(reason)), ("recorded_at", .string(at.rfc3339)),
                            ("two_signers", .bool(twoSigners)),
                        ]))))
    }

    private static func decode(_ row: PQRow) throws -> CalibrationSignature {
        CalibrationSignature(
            signatureID: try row.decode("signature_id"), versionID: try row.decode("version_id"), model: try row.decode("model"),
            meaning: try row.decode("meaning"),
            signer: Signer(name: try row.decode("signer_name"), identity: try row.decode("signer_identity")),
            reason: try row.decode("reason"), signedAt: Timestamp(microseconds: try row.decode("signed_us")),
            signatureHash: try row.decode("signature_hash"))
    }
}
