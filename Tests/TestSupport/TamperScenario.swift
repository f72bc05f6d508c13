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
}
