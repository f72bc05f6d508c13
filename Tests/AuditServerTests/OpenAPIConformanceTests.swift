import AuditApp
import AuditCore
import AuditServer
import Foundation
import Testing
import TestSupport

/// docs/openapi.json matches the server: the same operations, and every answer's status and content type documented.
@Suite("OpenAPI document")
struct OpenAPIConformanceTests {
    static func document() throws -> JSONValue {
        try JSONParser.parse(
            String(contentsOf: TestDatabase.packageRoot.appendingPathComponent("docs/openapi.json"), encoding: .utf8),
            maximumDepth: 64)
    }

    static func operations(_ document: JSONValue) -> [(method: String, path: String, operation: JSONValue)] {
        guard case .object(let paths)? = document["paths"] else { return [] }
        return paths.members.flatMap { path in
            guard case .object(let methods) = path.value else { return [(method: String, path: String, operation: JSONValue)]() }
            return methods.members.map { (method: $0.key.uppercased(), path: path.key, operation: $0.value) }
        }
    }

    @Test("the document lists exactly the server's routes")
    func sameOperations() async throws {
        let documented = Self.operations(try Self.document()).map { "\($0.method) \($0.path)" }.sorted()
        let app = AuditApp(database: try TestDatabase.createMigrated(prefix: "openapi"))
        let service = try AuditService(app: app, connections: 1)
        let routes = AuditHTTPServer(service: service, configuration: .init(port: 0)).routeList
        await service.shutdown()
        #expect(documented == routes)
        #expect(routes.count == 14)
    }

    @Test("every operation answers with a documented status and content type, for allowed and refused callers")
    func answersAreDocumented() async throws {
        try await ServerHarness.with { server in
            let admin = try server.token(.admin)
            let outsider = try server.token(.label)
            for entry in Self.operations(try Self.document()) {
                let path = entry.path.replacingOccurrences(of: "{model}", with: "m1").replacingOccurrences(of: "{month}", with: "2026-10")
                let body: String? =
                    entry.path.hasSuffix("predictions")
                    ? SampleRecords.prediction(id: "oa-1")
                    : entry.path.hasSuffix("labels") ? SampleRecords.label(id: "oa-1", label: 0) : nil
                for token in [admin, outsider, nil] {
                    let reply = try await server.send(entry.method, path, token: token, body: body)
                    let documented = entry.operation["responses"]?[String(reply.status)]
                    #expect(documented != nil, "\(entry.method) \(path) answered \(reply.status), which is not documented")
                    guard reply.status != 304, case .object(let content)? = documented?["content"] else { continue }
                    let type = reply.headers["content-type"]?.split(separator: ";").first.map(String.init) ?? ""
                    #expect(content.keys.contains(type), "\(entry.method) \(path) \(reply.status): \(type)")
                }
            }
        }
    }
}
