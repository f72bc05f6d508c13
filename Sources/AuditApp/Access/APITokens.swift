import AuditCore
import AuditStore
import Foundation

/// A token as shown once, at creation: the secret itself is never stored.
public struct CreatedToken: Sendable {
    public let id: Int64
    public let name: String
    public let scopes: [AccessScope]
    /// The bearer token (`vla_` and 43 base64url characters: 256 random bits).
    public let secret: String
}

/// Who called: the token's id, name and scopes.
public struct Caller: Sendable, Equatable {
    public let tokenID: Int64
    public let name: String
    public let scopes: [AccessScope]

    /// True when the caller may act with `scope`.
    public func may(_ scope: AccessScope) -> Bool { scope.isGranted(by: scopes) }
}

/// Making, hashing and checking bearer tokens.
public enum APITokens {
    static let prefix = "vla_"

    /// A new random token (256 bits from the system's cryptographic generator).
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + base64URL(bytes)
    }

    /// What is stored for a token: its SHA-256, hex.
    public static func hash(_ secret: String) -> String {
        ChainHash.sha256(secret)
    }

    /// True when `text` has the shape of one of our tokens (checked before any database look-up).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == prefix.utf8.count + 43 && text.hasPrefix(prefix)
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy { base64URLAlphabet.contains($0) }
    }

    private static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64url without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension AuditApp {
    /// Creates a token with `scopes` and returns it; the secret is shown only this once.
    public func createToken(name: String, scopes: [AccessScope]) throws -> CreatedToken {
        let connection = try migratedConnection()
        let secret = APITokens.newSecret()
        let id = try TokenStore.insert(connection, name: name, scopes: scopes.map(\.rawValue), tokenHash: APITokens.hash(secret))
        return CreatedToken(id: id, name: name, scopes: scopes, secret: secret)
    }

    /// Every token, revoked ones included (never the secrets).
    public func tokens() throws -> [StoredToken] {
        try TokenStore.list(migratedConnection())
    }

    /// Revokes a token; false when there is no such unrevoked token.
    public func revokeToken(id: Int64, reason: String) throws -> Bool {
        try TokenStore.revoke(migratedConnection(), id: id, reason: reason)
    }

    /// The caller holding `secret` (already checked well-formed), or nil when the token is unknown or revoked.
    static func caller(secret: String, on connection: StoreConnection) throws -> Caller? {
        guard let token = try TokenStore.find(connection, tokenHash: APITokens.hash(secret)) else { return nil }
        return Caller(tokenID: token.id, name: token.name, scopes: token.scopes.compactMap(AccessScope.init(rawValue:)))
    }
}
