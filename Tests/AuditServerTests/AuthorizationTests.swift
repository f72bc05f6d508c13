import AuditApp
import AuditCore
import PQ
import Testing
import TestSupport

/// Tokens and scopes over a real socket: who may call what, and what strangers learn (nothing).
@Suite("HTTP authorization")
struct AuthorizationTests {
    /// Every protected endpoint with the scope it needs and a body where it takes one.
    static let endpoints: [(method: String, path: String, scope: AccessScope, body: String?)] = [
        ("POST", "/v1/predictions", .ingest, SampleRecords.prediction(id: "auth-1")),
        ("POST", "/v1/labels", .label, SampleRecords.label(id: "auth-1", label: 0)),
        ("GET", "/v1/models", .read, nil),
        ("GET", "/v1/models/m1/calibration", .read, nil),
        ("GET", "/v1/models/m1/evaluation", .read, nil),
        ("GET", "/v1/models/m1/drift", .read, nil),
        ("GET", "/v1/reports/2026-10", .read, nil),
        ("GET", "/metrics", .read, nil),
    ]

    @Test("health endpoints are open; everything else answers 401 without a valid token, even paths that do not exist")
    func openAndClosed() async throws {
        try await ServerHarness.with { server in
            #expect(try await server.send("GET", "/healthz", token: nil).status == 200)
            #expect(try await server.send("GET", "/readyz", token: nil).json()["ready"] == .bool(true))
            let valid = try server.token(.admin)
            let forged = "vla_" + String(repeating: "A", count: 43)
            for endpoint in Self.endpoints + [("GET", "/v1/no-such-thing", .read, nil)] {
                for token: String? in [nil, forged, "not-even-a-token", String(valid.dropLast())] {
                    let reply = try await server.send(endpoint.method, endpoint.path, token: token, body: endpoint.body)
                    #expect(reply.status == 401, "\(endpoint.method) \(endpoint.path) with \(token ?? "no token")")
                    #expect(try reply.json()["code"] == .string("unauthorized"))
                    #expect(reply.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                }
            }
            // A malformed header is no better than none.
            let reply = try await server.client.send("GET", "/v1/models", headers: ["Authorization": "Basic dXNlcjpwYXNz"])
            #expect(reply.status == 401)
            // With a valid token, an unknown path is a plain 404.
            #expect(try await server.send("GET", "/v1/no-such-thing", token: valid).status == 404)
        }
    }

    @Test("token × scope × endpoint: the needed scope (or admin) passes, any other gets 403")
    func scopeMatrix() async throws {
        try await ServerHarness.with { server in
            var tokens: [AccessScope: String] = [:]
            for scope in AccessScope.allCases { tokens[scope] = try server.token(scope, name: "only-\(scope.rawValue)") }
            for endpoint in Self.endpoints {
                for (scope, token) in tokens.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    let reply = try await server.send(endpoint.method, endpoint.path, token: token, body: endpoint.body)
                    let allowed = endpoint.scope.isGranted(by: [scope])
                    if allowed {
                        #expect(
                            reply.status != 401 && reply.status != 403, "\(scope) on \(endpoint.method) \(endpoint.path): \(reply.status)")
                    } else {
                        #expect(reply.status == 403, "\(scope) on \(endpoint.method) \(endpoint.path): \(reply.status)")
                        #expect(try reply.json()["code"] == .string("forbidden"))
                    }
                }
            }
            // Scopes combine.
            let both = try server.token(.ingest, .read)
            #expect(try await server.send("GET", "/v1/models", token: both).status == 200)
            #expect(try await server.send("POST", "/v1/labels", token: both, body: SampleRecords.label(id: "x", label: 0)).status == 403)
        }
    }

    @Test("a revoked token stops working; only the hash is stored")
    func revocation() async throws {
        try await ServerHarness.with { server in
            let created = try server.app.createToken(name: "to-revoke", scopes: [.read])
            #expect(try await server.send("GET", "/v1/models", token: created.secret).status == 200)
            #expect(try server.app.revokeToken(id: created.id, reason: "test"))
            #expect(try server.app.revokeToken(id: created.id, reason: "again") == false)
            #expect(try await server.send("GET", "/v1/models", token: created.secret).status == 401)
            let listed = try #require(try server.app.tokens().first { $0.id == created.id })
            #expect(listed.revokedAt != nil)
            #expect(listed.scopes == ["read"])
            let stored = try server.app.database.connect().query("SELECT token_hash FROM api_tokens WHERE token_id = $1", [created.id])
            #expect(stored.string(0, 0) == APITokens.hash(created.secret))
            #expect(stored.string(0, 0) != created.secret)
        }
    }
}
