/// A stored API token (never the token itself: only its hash is kept).
public struct StoredToken: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let scopes: [String]
    public let createdAt: Timestamp
    public let revokedAt: Timestamp?

    public init(id: Int64, name: String, scopes: [String], createdAt: Timestamp, revokedAt: Timestamp?) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
