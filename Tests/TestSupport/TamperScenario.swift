import PQ
import Testing

/// One way of tampering with stored history, done in SQL as a superuser with the triggers off, and the text that
/// `verify` must then report.
public struct TamperScenario: CustomTestStringConvertible, Sendable {
    public let name: String
    public let sql: String
    public let expected: String
    public var testDescription: String { name }

    public init(name: String, sql: String, expected: String) {
        self.name = name
        self.sql = sql
        self.expected = expected
    }

    /// Records an issue unless `problems` (what a verification reported after ``apply(to:)``) holds one naming
    /// ``expected``.
    public func expectReported(in problems: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!problems.isEmpty, "\(name) went unnoticed", sourceLocation: sourceLocation)
        #expect(problems.contains { $0.contains(expected) }, "\(name): \(problems)", sourceLocation: sourceLocation)
    }

    /// Runs the tampering the way a superuser bypasses the append-only triggers and the foreign keys.
    public func apply(to connection: PQConnection) throws {
        try connection.execute("SET session_replication_role = replica")
        try connection.execute(sql)
        try connection.execute("SET session_replication_role = origin")
    }
}
