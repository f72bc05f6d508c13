/// What an API token may do. `admin` includes every other scope.
public enum AccessScope: String, Sendable, CaseIterable, Codable {
    /// POST predictions.
    case ingest
    /// POST labels.
    case label
    /// Read models, calibrations, evaluations, drift findings, reports and metrics.
    case read
    /// Everything, including token management.
    case admin

    /// True when a token holding `scopes` may act with this scope.
    public func isGranted(by scopes: some Sequence<AccessScope>) -> Bool {
        scopes.contains { $0 == self || $0 == .admin }
    }

    /// Parses a comma-separated list such as `ingest,label`; nil names the first unknown scope.
    public static func parseList(_ text: String) -> Result<[AccessScope], UnknownScope> {
        var scopes: [AccessScope] = []
        for part in text.split(separator: ",") {
            let name = String(part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
            guard let scope = AccessScope(rawValue: name) else { return .failure(UnknownScope(name: name)) }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return scopes.isEmpty ? .failure(UnknownScope(name: "")) : .success(scopes)
    }

    /// A scope name that is not one of ingest, label, read, admin.
    public struct UnknownScope: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            name.isEmpty
                ? "no scope given (use ingest, label, read or admin)"
                : "unknown scope \"\(name)\" (use ingest, label, read or admin)"
        }
    }
}
