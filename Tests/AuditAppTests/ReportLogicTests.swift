@testable import AuditApp
import AuditCore
import Foundation
import Reports
import Testing
import TestSupport

/// The monthly report's pure logic, without a database: the fragility threshold against scikit-learn, and the verdict's
/// sentences for the cases a safety officer reads.
@Suite("report logic (no database)")
struct ReportLogicTests {
    @Test("the fragility threshold is scikit-learn's maximum-Youden cut of −msp, stated as 'flag msp < τ'")
    func fragilityThresholdMatchesScikitLearn() throws {
        let url = TestDatabase.packageRoot.appendingPathComponent("Tests/AuditAppTests/Fixtures/fragility.json")
        guard case .array(let cases)? = try JSONParser.parse(Array(Data(contentsOf: url)))["cases"] else {
            Issue.record("no cases in \(url.path)")
            return
        }
        #expect(cases.count == 16)
        for (index, item) in cases.enumerated() {
            guard case .array(let msp)? = item["msp"], case .array(let collapsed)? = item["collapsed"] else {
                Issue.record("case \(index) is malformed")
                continue
            }
            let pairs = zip(msp, collapsed).map { (cleanMSP: $0.doubleValue ?? .nan, collapsed: $1 == .bool(true)) }
            let threshold = AuditApp.fragilityThreshold(pairs)
            #expect(threshold == item["threshold"]?.doubleValue, "case \(index) (\(pairs.count) pairs)")
        }
    }

    @Test("the verdict names the audit estimate, a failed guarantee, weak uncertainty and drift, in that order")
    func verdictSentences() {
        var section = ModelSection(model: "m")
        section.labeled = 40
        section.accuracy = 0.61
        #expect(AuditApp.verdict(section).hasPrefix("Accuracy 61.0 % on 40 labeled predictions (no audit plan"))

        section.audit = AuditSummary(
            rate: 0.1, members: 50, labeled: 40, completion: 0.8, accuracy: 0.7, accuracyLower: 0.6,
            accuracyUpper: 0.8, ppiEstimate: 0.72, ppiLower: 0.65, ppiUpper: 0.79, naiveAccuracy: 0.61,
            selectionGap: -0.11, selectionFlag: true, completionLow: true)
        section.calibrationVersion = 3
        section.threshold = 0.9
        section.escalationRate = 0.4
        section.acceptedErrorRate = 0.15
        section.alpha = 0.1
        section.auditMSPAUROC = 0.6
        section.driftStatus = .alert
        let verdict = AuditApp.verdict(section)
        let expected = [
            "Accuracy 72.0 % (95 % CI 65.0 %–79.0 %, on the audit sample: 40 of 50 members labeled)",
            "outside that interval: the labels are not a random sample", "audit completion 80.0 % is below 90 %",
            "accepted answers erred 15.0 % against the guaranteed 10.0 % (above α: review)",
            "separates right from wrong poorly (msp AUROC 0.600)", "Drift status ALERT: see section 7.",
        ]
        var position = verdict.startIndex
        for phrase in expected {
            guard let found = verdict.range(of: phrase, range: position..<verdict.endIndex) else {
                Issue.record("missing or out of order: \(phrase)\nin: \(verdict)")
                return
            }
            position = found.upperBound
        }

        section.threshold = nil
        #expect(AuditApp.verdict(section).contains("No threshold meets the guarantee: every prediction is escalated"))
        section.calibrationVersion = nil
        section.driftStatus = .ok
        let quiet = AuditApp.verdict(section)
        #expect(quiet.contains("No active calibration: every answer needs clinician review.") && !quiet.contains("Drift status"))
    }
}
