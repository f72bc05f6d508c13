import AuditCore
import PQ

/// The API tokens table: insert, look up by hash, list, revoke (append-only; a revocation is a row of its own).
public enum TokenStore {
    /// Stores a token's hash with its name and scopes and returns the new token's id.
    public static func insert(_ connection: PQConnection, name: String, scopes: [String], tokenHash: String) throws -> Int64 {
        try connection.query(
            "INSERT INTO api_tokens (name, scopes, token_hash) VALUES ($1, $2, $3) RETURNING token_id",
            [name, scopes, tokenHash]
        ).value("token_id")
    }

    /// The unrevoked token with this hash, if any.
    public static func find(_ connection: PQConnection, tokenHash: String) throws -> StoredToken? {
        let result = try connection.query(select + " WHERE t.token_hash = $1 AND r.token_id IS NULL", [tokenHash])
        return try result.rows.first.map(token)
    }

    /// Every token, revoked ones included, oldest first.
    public static func list(_ connection: PQConnection) throws -> [StoredToken] {
        let result = try connection.query(select + " ORDER BY t.token_id")
        return try result.rows.map(token)
    }

    /// Revokes a token by id; returns false when no such unrevoked token exists.
    @discardableResult
    public static func revoke(_ connection: PQConnection, id: Int64, reason: String) throws -> Bool {
        try connection.query(
            """
            INSERT INTO api_token_revocations (token_id, reason)
            SELECT token_id, $2 FROM api_tokens WHERE token_id = $1 ON CONFLICT (token_id) DO NOTHING
            """, [id, reason]
        ).affectedRows == 1
    }

    private static let select = """
        SELECT t.token_id, t.name, t.scopes, t.created_at, r.revoked_at
        FROM api_tokens t LEFT JOIN api_token_revocations r USING (token_id)
        """

    private static func token(_ row: PQRow) throws -> StoredToken {
        StoredToken(
            id: try row.decode("token_id"), name: try row.decode("name"), scopes: try row.decode("scopes"),
            createdAt: try row.decode("created_at"), revokedAt: try row.decodeIfPresent("revoked_at"))
    }
}
