import Foundation
import Testing

/// The layers of ARCHITECTURE.md, checked on the sources: faces → AuditApp → AuditStore / Statistics / Reports →
/// AuditCore, with SQL only in AuditStore (and PQ, its driver). A file that imports across the layers, or SQL outside
/// the store, fails here. The compiler does the rest: AuditApp and the faces build with `MemberImportVisibility`, so
/// without the import this test refuses, a call into the store or the driver does not compile.
@Suite("layering of the sources")
struct LayeringTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized

    /// The product's own modules each target may import (other packages' modules are not listed).
    static let allowed: [String: Set<String>] = [
        "AuditCore": [],
        "Statistics": [],
        "PQ": ["CLibPQ"],
        "Reports": ["AuditCore"],
        "AuditStore": ["PQ", "AuditCore"],
        "AuditApp": ["AuditCore", "AuditStore", "Statistics", "Reports"],
        "AuditServer": ["AuditApp", "AuditCore"],
        "vlm-audit": ["AuditApp", "AuditCore", "AuditServer"],
    ]
    static let ownModules: Set<String> = ["AuditCore", "Statistics", "PQ", "CLibPQ", "Reports", "AuditStore", "AuditApp", "AuditServer"]

    /// Every Swift file of a target with its text.
    static func files(of target: String) throws -> [(path: String, text: String)] {
        let folder = sources.appendingPathComponent(target)
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return try walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.map {
            ($0.path.replacingOccurrences(of: sources.path + "/", with: ""), try String(contentsOf: $0, encoding: .utf8))
        }
    }

    /// The modules a file imports (`import X`, `public import X`, `@preconcurrency import X`, …).
    static func imports(_ text: String) -> Set<String> {
        var modules = Set<String>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                words[..<index].allSatisfy({
                    $0.hasPrefix("@") || ["public", "internal", "package", "private", "fileprivate"].contains($0)
                })
            else { continue }
            modules.insert(String(words[index + 1]))
        }
        return modules
    }

    @Test("each target imports only the layers below it")
    func importsFollowTheLayers() throws {
        var checked = 0
        for (target, allowed) in Self.allowed {
            let files = try Self.files(of: target)
            #expect(!files.isEmpty, "no sources found for \(target)")
            for file in files {
                checked += 1
                let forbidden = Self.imports(file.text).intersection(Self.ownModules).subtracting(allowed).subtracting([target])
                #expect(forbidden.isEmpty, "\(file.path) imports \(forbidden.sorted()) across the layers")
            }
        }
        #expect(checked > 120)  // the walk found the sources (139 files today)
    }

    @Test("SQL and database calls live in AuditStore and PQ only")
    func sqlOnlyInTheStore() throws {
        let calls = [".query(", ".execute(", ".copyIn(", "PQexec", "SELECT ", "INSERT INTO", "CREATE TABLE", "SET statement_timeout"]
        for target in ["AuditCore", "Statistics", "Reports", "AuditApp", "AuditServer", "vlm-audit"] {
            for file in try Self.files(of: target) {
                let found = calls.filter { file.text.contains($0) }
                #expect(found.isEmpty, "\(file.path) runs SQL or calls the driver: \(found)")
            }
        }
    }

    @Test("the checks can fail: a face importing the store is caught")
    func checkerCatchesAViolation() {
        let text = "import ArgumentParser\n@preconcurrency import AuditStore\nimport AuditApp\n"
        #expect(Self.imports(text) == ["ArgumentParser", "AuditStore", "AuditApp"])
        #expect(!Self.imports(text).intersection(Self.ownModules).subtracting(Self.allowed["vlm-audit"]!).isEmpty)
    }
}
