/// How a read reached the product.
public enum AccessChannel: String, Sendable, CaseIterable {
    case http, cli
}

/// What became of a read: served, refused for want of a token or scope, or failed (a bad request, an unknown model,
/// the database unavailable).
public enum AccessOutcome: String, Sendable, CaseIterable {
    case allowed, denied, failed
}

/// One read of record-level or derived data (docs/access-audit.md): who, what, when, from where, and how it ended.
///
/// `object` names what was read by reference only (model, month, ids, query bounds), never record content.
public struct AccessEvent: Sendable, Equatable {
    /// Assigned when stored.
    public var eventID: Int64?
    public let occurredAt: Timestamp
    public let channel: AccessChannel
    /// `token:<name>#<id>` over HTTP, `anonymous` without a valid token, `os:<user>` from the command line.
    public let actor: String
    /// The database role that wrote the event (set by the store).
    public var databaseRole: String
    /// `GET /v1/models/{model}/evaluation`, or `cli report monthly`.
    public let action: String
    public let object: [String: String]
    /// The client's address (HTTP only).
    public let client: String?
    public let outcome: AccessOutcome
    /// The HTTP status, or the command's exit status.
    public let status: Int?
    /// The link hash (set when stored).
    public var eventHash: String?

    public init(
        occurredAt: Timestamp, channel: AccessChannel, actor: String, databaseRole: String = "", action: String,
        object: [String: String], client: String?, outcome: AccessOutcome, status: Int?
    ) {
        self.occurredAt = occurredAt
        self.channel = channel
        self.actor = actor
        self.databaseRole = databaseRole
        self.action = action
        self.object = object
        self.client = client
        self.outcome = outcome
        self.status = status
    }

    /// `object` as canonical JSON (keys sorted): what the `object` column holds.
    public var objectText: String {
        CanonicalJSON.text(.object(JSONObject(object.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })))
    }

    /// The canonical JSON an event's link covers: every field but its id, its hash and the database's recording time.
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("action", .string(action)), ("actor", .string(actor)), ("channel", .string(channel.rawValue)),
                    ("client", client.map { .string($0) } ?? .null), ("database_role", .string(databaseRole)),
                    ("object", .string(objectText)), ("occurred_at", .string(occurredAt.rfc3339)), ("outcome", .string(outcome.rawValue)),
                    ("status", status.map { .integer(Int64($0)) } ?? .null),
                ])))
    }
}
