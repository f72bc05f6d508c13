/// What a signature on a calibration decision means (21 CFR 11.50(a)(3)).
public enum SignatureMeaning: String, Sendable, CaseIterable {
    case approvedForDeployment = "approved for deployment"
    case rejected = "rejected"
    case rolledBack = "rolled back"
}

/// Who signs: the printed name the signature shows, and the identity that authenticated (the operating-system user on
/// the command line, `os:<user>`; the bearer token over HTTP, `token:<name>#<id>`).
public struct Signer: Sendable, Equatable {
    public let name: String
    public let identity: String

    public init(name: String, identity: String) {
        self.name = name
        self.identity = identity
    }

    /// "Dr. Ada Lovelace (os:ada)".
    public var description: String { "\(name) (\(identity))" }
}

/// One signed calibration decision, as stored (docs/calibration.md, "Signed decisions").
public struct CalibrationSignature: Sendable, Equatable {
    public let signatureID: Int64
    public let versionID: Int64
    public let model: String
    public let meaning: SignatureMeaning
    public let signer: Signer
    public let reason: String
    /// The database clock when the signature was recorded.
    public let signedAt: Timestamp
    public let signatureHash: String

    public init(
        signatureID: Int64, versionID: Int64, model: String, meaning: SignatureMeaning, signer: Signer, reason: String,
        signedAt: Timestamp, signatureHash: String
    ) {
        self.signatureID = signatureID
        self.versionID = versionID
        self.model = model
        self.meaning = meaning
        self.signer = signer
        self.reason = reason
        self.signedAt = signedAt
        self.signatureHash = signatureHash
    }

    /// The canonical JSON a signature's link covers: every field but its id and its hash.
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("meaning", .string(meaning.rawValue)), ("model", .string(model)), ("reason", .string(reason)),
                    ("signed_at", .string(signedAt.rfc3339)), ("signer_identity", .string(signer.identity)),
                    ("signer_name", .string(signer.name)), ("version_id", .integer(versionID)),
                ])))
    }

    /// "approved for deployment by Dr. Ada Lovelace (os:ada) at 2026-12-03T10:00:00.000000Z: evidence reviewed".
    public var manifestation: String {
        "\(meaning.rawValue) by \(signer.description) at \(signedAt.rfc3339): \(reason)"
    }
}

/// What became of a signed activation.
public enum SignedDecision: Sendable, Equatable {
    /// The version is active now (`signatures`: the one or two that made it so).
    case active(signatures: [CalibrationSignature])
    /// The deployment's policy asks for two signers: this first signature is recorded, and the version stays as it was
    /// until a different identity signs too.
    case awaitingSecondSigner(first: CalibrationSignature)
    /// The version is rejected.
    case rejected(signature: CalibrationSignature)
}
