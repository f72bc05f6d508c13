import AuditCore
import Foundation
import Reports
import Testing

/// The three renderers on a fixed report, compared byte for byte with reviewed golden files (`Golden/`). A change to a
/// renderer shows up here as a diff to review; regenerate with `VLM_AUDIT_UPDATE_GOLDEN=1 swift test --filter ReportsTests`
/// and read the diff before committing it. No database is involved.
@Suite("report renderers against golden files")
struct RendererGoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Compares `rendered` with the golden file `name`, or writes it when asked to.
    static func expectGolden(_ rendered: String, _ name: String) throws {
        let file = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["VLM_AUDIT_UPDATE_GOLDEN"] != nil {
            try rendered.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        guard rendered != expected else { return }
        let renderedLines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first =
            zip(renderedLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(renderedLines.count, expectedLines.count)
        Issue.record(
            """
            \(name) differs from its golden file at line \(first + 1):
              got:      \(first < renderedLines.count ? String(renderedLines[first].prefix(300)) : "(end)")
              expected: \(first < expectedLines.count ? String(expectedLines[first].prefix(300)) : "(end)")
            """)
    }

    @Test("Markdown")
    func markdown() throws {
        try Self.expectGolden(MarkdownRenderer.render(SampleReport.make()), "report.md")
    }

    @Test("JSON (canonical, sorted keys)")
    func json() throws {
        try Self.expectGolden(CanonicalJSON.text(SampleReport.make().json) + "\n", "report.json")
    }

    @Test("HTML")
    func html() throws {
        try Self.expectGolden(HTMLRenderer.render(SampleReport.make()), "report.html")
    }

    @Test("the same report renders to the same bytes, and a changed number changes them")
    func deterministicAndSensitive() {
        let report = SampleReport.make()
        #expect(MarkdownRenderer.render(report) == MarkdownRenderer.render(SampleReport.make()))
        #expect(HTMLRenderer.render(report) == HTMLRenderer.render(SampleReport.make()))
        var changed = report
        changed.models[0].threshold = 0.978
        #expect(MarkdownRenderer.render(changed) != MarkdownRenderer.render(report))
        #expect(CanonicalJSON.text(changed.json) != CanonicalJSON.text(report.json))
    }

    @Test("the report's sections appear in order, drift after the monitor, access last")
    func sectionOrder() {
        let markdown = MarkdownRenderer.render(SampleReport.make())
        let headings = markdown.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)) }
        #expect(headings.map { $0.split(separator: ".")[0] } == (1...10).map { Substring(String($0)) }, "\(headings)")
        #expect(headings.firstIndex { $0.contains("Threshold monitor") } == 5)
        #expect(headings.firstIndex { $0.contains("Drift") } == 6)
        #expect(headings.last == "10. Access")
    }
}
