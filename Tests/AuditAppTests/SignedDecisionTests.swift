import AuditApp
import AuditCore
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// Signed calibration decisions (21 CFR 11.50) and the two-signer policy, on a real database.
@Suite("signed calibration decisions")
struct SignedDecisionTests {
    /// Three proposed versions of one model.
    private func proposedVersions() throws -> (AuditApp, [Int64]) {
        let (app, now) = try CalibrationTests.simulatedFleet(models: 1, perModel: 800)
        var options = RecalibrationOptions()
        options.asOf = now
        options.autoActivate = false
        var versions: [Int64] = []
        for risk in [0.3, 0.2, 0.25] {
            options.targetRisk = risk
            versions.append(try #require(try app.recalibrate(models: nil, options: options).first?.versionID))
        }
        return (app, versions)
    }

    private let ada = Signer(name: "Dr. Ada Lovelace", identity: "os:ada")
    private let grace = Signer(name: "Dr. Grace Hopper", identity: "os:grace")

    @Test("activation, rollback and rejection each record the printed name, identity, time and meaning; verify covers them")
    func meanings() throws {
        let (app, versions) = try proposedVersions()
        guard case .active(let approval) = try app.activateCalibration(id: versions[0], signer: ada, reason: "evidence reviewed") else {
            Issue.record("not active")
            return
        }
        #expect(approval.map(\.meaning) == [.approvedForDeployment] && approval.first?.signer == ada)
        try app.activateCalibration(id: versions[1], signer: grace, reason: "tighter risk")
        guard case .active(let rollback) = try app.activateCalibration(id: versions[0], signer: ada, reason: "back to the first") else {
            Issue.record("not active")
            return
        }
        #expect(rollback.first?.meaning == .rolledBack)
        guard case .rejected(let rejection) = try app.rejectCalibration(id: versions[2], signer: grace, reason: "not needed") else {
            Issue.record("not rejected")
            return
        }
        #expect(rejection.meaning == .rejected)
        let signatures = try app.calibrationSignatures()
        #expect(signatures.map(\.meaning) == [.approvedForDeployment, .approvedForDeployment, .rolledBack, .rejected])
        #expect(signatures[2].manifestation.hasPrefix("rolled back by Dr. Ada Lovelace (os:ada) at "))
        #expect(signatures.allSatisfy { $0.signedAt.microseconds > 0 })
        // The status events name the signer too.
        let connection = try app.database.connect()
        #expect(
            try connection.query("SELECT actor FROM calibration_events WHERE status = 'rejected'").string(0, 0)
                == "Dr. Grace Hopper (os:grace)")
        #expect(try app.verify().intact)
        try connection.execute(
            "SET session_replication_role = replica; UPDATE calibration_signatures SET signer_name = 'Someone Else' WHERE signature_id = 1; "
                + "SET session_replication_role = origin")
        #expect(
            try app.verify().problems.contains { $0.description.contains("calibration signature 1: does not match the signature chain") })
    }

    @Test("with the two-signer policy a version becomes active only after two different people sign")
    func twoSigners() throws {
        let (app, versions) = try proposedVersions()
        let model = try #require(try app.calibration(id: versions[0])?.model)
        try app.setSigningPolicy(twoSigners: true, by: "safety officer", reason: "hospital SOP 12")
        #expect(try app.requiresTwoSigners())

        guard case .awaitingSecondSigner(let first) = try app.activateCalibration(id: versions[0], signer: ada, reason: "reviewed") else {
            Issue.record("activated on one signature")
            return
        }
        #expect(first.signer == ada)
        #expect(try app.activeCalibration(model: model) == nil)
        // The same person again, under another name or from the same account, does not count.
        #expect(throws: CalibrationStoreError.self) { try app.activateCalibration(id: versions[0], signer: ada, reason: "again") }
        #expect(throws: CalibrationStoreError.self) {
            try app.activateCalibration(id: versions[0], signer: Signer(name: "A. Lovelace", identity: "os:ada"), reason: "again")
        }
        #expect(throws: CalibrationStoreError.self) {
            try app.activateCalibration(id: versions[0], signer: Signer(name: "Dr. Ada Lovelace", identity: "os:other"), reason: "again")
        }
        guard case .active(let both) = try app.activateCalibration(id: versions[0], signer: grace, reason: "concur") else {
            Issue.record("not active after two signers")
            return
        }
        #expect(both.map(\.signer) == [ada, grace])
        #expect(try app.activeCalibration(model: model)?.versionID == versions[0])
        // Automatic activation is off while the policy stands: a refit stays proposed and says why.
        var options = RecalibrationOptions()
        options.targetRisk = 0.35
        options.asOf = try #require(try app.calibration(id: versions[0])?.windowTo).adding(seconds: 1)
        let refit = try #require(try app.recalibrate(models: nil, options: options).first)
        #expect(refit.status != .active)
        #expect(refit.message.contains("two signers") || refit.status == .unchanged)
        // Each signature shows in `calibration show`, printed name, identity, time and meaning.
        let show = try CLI.run(["calibration", "show", String(versions[0])], conninfo: app.database.conninfo())
        #expect(show.status == 0)
        #expect(show.output.contains("approved for deployment by Dr. Ada Lovelace (os:ada) at "))
        #expect(show.output.contains("approved for deployment by Dr. Grace Hopper (os:grace) at "))
        // And in the model card, as data and as the printed card.
        let card = try app.modelCard(version: versions[0])
        guard case .array(let cardSignatures)? = card["approvals"]?["signatures"] else {
            Issue.record("no signatures in the card")
            return
        }
        #expect(cardSignatures.map { $0["signer_name"] } == [.string("Dr. Ada Lovelace"), .string("Dr. Grace Hopper")])
        let printed = app.renderModelCard(card)
        #expect(printed.contains("Signed approved for deployment by Dr. Ada Lovelace (os:ada) at "))
        #expect(printed.contains("Signed approved for deployment by Dr. Grace Hopper (os:grace) at "))
        for section in [
            "Intended use", "Data", "Guarantee", "Performance", "Per slice", "NOTA fragility", "Known limitations", "Approval history",
        ] {
            #expect(printed.contains("## \(section)"), "\(section)")
        }
        // And in the FHIR export's Provenance of the version: both signers as attesters, and both signatures.
        let bundle = try app.fhirBundle(from: Timestamp(microseconds: 0), to: Timestamp.now().adding(seconds: 60))
        guard case .array(let entries)? = bundle["entry"] else {
            Issue.record("no entries")
            return
        }
        let provenance = try #require(
            entries.compactMap { $0["resource"] }.first { $0["id"] == .string("calibration-version-\(versions[0])") })
        let text = CanonicalJSON.text(provenance)
        #expect(text.contains(#""display":"Dr. Ada Lovelace (os:ada)""#) && text.contains(#""display":"Dr. Grace Hopper (os:grace)""#))
        #expect(text.contains(#""code":"attester""#) && text.contains(#""signature":["#))
    }
}
