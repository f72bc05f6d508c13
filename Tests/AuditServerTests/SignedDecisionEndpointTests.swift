import AuditApp
import AuditCore
import Foundation
import Testing
import TestSupport

/// Signed decisions over a real socket: the signer is the authenticated token, never a field of the request.
@Suite("HTTP signed decisions")
struct SignedDecisionEndpointTests {
    @Test("two different tokens must sign before a version becomes active; the body cannot name the signer")
    func twoTokensSign() async throws {
        try await ServerHarness.with { server in
            let now = try ReadEndpointTests.populate(server.app)
            var options = RecalibrationOptions()
            options.asOf = now
            options.autoActivate = false
            options.targetRisk = 0.45
            let version = try #require(try server.app.recalibrate(models: nil, options: options).first?.versionID)
            try server.app.setSigningPolicy(twoSigners: true, by: "safety officer", reason: "SOP")
            let alice = try server.token(.admin, name: "alice")
            let bob = try server.token(.admin, name: "bob")
            let reader = try server.token(.read, name: "viewer")
            let path = "/v1/calibrations/\(version)/activate"

            #expect(try await server.send("POST", path, token: reader, body: #"{"reason":"ok"}"#).status == 403)
            let forged = try await server.send("POST", path, token: alice, body: #"{"reason":"ok","signer_name":"Dr. Mallory"}"#)
            let forgedField = try forged.json()["field"]
            #expect(forged.status == 400 && forgedField == .string("signer_name"))
            #expect(try await server.send("POST", path, token: alice, body: #"{"reason":" "}"#).status == 400)

            let first = try await server.send("POST", path, token: alice, body: #"{"reason":"evidence reviewed"}"#)
            #expect(first.status == 200)
            let firstJSON = try first.json()
            #expect(firstJSON["status"] == .string("awaiting_second_signer"))
            guard case .array(let firstSignatures)? = firstJSON["signatures"], let signature = firstSignatures.first else {
                Issue.record("no signature in \(firstJSON)")
                return
            }
            #expect(signature["signer_name"] == .string("alice") && signature["meaning"] == .string("approved for deployment"))
            let aliceID = try #require(try server.app.tokens().first { $0.name == "alice" }?.id)
            #expect(signature["signer_identity"] == .string("token:alice#\(aliceID)"))

            #expect(try await server.send("POST", path, token: alice, body: #"{"reason":"again"}"#).status == 409)
            let second = try await server.send("POST", path, token: bob, body: #"{"reason":"concur"}"#)
            #expect(second.status == 200)
            #expect(try second.json()["status"] == .string("active"))
            #expect(try server.app.calibration(id: version)?.status == .active)
            #expect(try await server.send("POST", "/v1/calibrations/999999/activate", token: bob, body: #"{"reason":"x"}"#).status == 404)
            #expect(try await server.send("POST", "/v1/calibrations/\(version)/reject", token: bob, body: #"{"reason":"x"}"#).status == 409)
            #expect(try server.app.calibrationSignatures(id: version).map(\.signer.name) == ["alice", "bob"])
            #expect(try server.app.verify().intact)
        }
    }
}
