import Foundation

/// The passwords a connection string or the environment carries, so that no error the product passes on prints one.
///
/// libpq echoes parts of a malformed conninfo in its messages: `postgresql://user:secret/db` (no `@`) fails with
/// `invalid integer value "secret" for connection option "port"`. Every text that may be a password is replaced.
public enum ConnectionSecrets {
    /// What replaces a secret in a message.
    public static let mask = "<redacted>"

    /// The substrings of `conninfo` (and of `PGPASSWORD`) that may be a password.
    public static func secrets(in conninfo: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var found: [String] = []
        if let password = environment["PGPASSWORD"], !password.isEmpty { found.append(password) }
        let text = conninfo.trimmingCharacters(in: .whitespaces)
        if let schemeEnd = text.range(of: "://"), text.lowercased().hasPrefix("postgres") {
            let rest = text[schemeEnd.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let userinfo = authority.contains("@") ? authority[..<authority.lastIndex(of: "@")!] : authority
            // With an `@`, what follows the first `:` of the user part is the password; without one, libpq reads it as
            // a host and port, and the "port" may be a password typed without its `@`.
            if let colon = userinfo.firstIndex(of: ":") {
                let candidate = String(userinfo[userinfo.index(after: colon)...])
                if authority.contains("@") || !candidate.allSatisfy(\.isNumber) { found.append(candidate) }
            }
            if let query = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: query)...].split(separator: "&") where pair.lowercased().hasPrefix("password=") {
                    found.append(String(pair.dropFirst("password=".count)))
                }
            }
        } else if let range = text.range(of: #"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)"#, options: .regularExpression) {
            var value = String(text[range].drop { $0 != "=" }.dropFirst()).trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            found.append(value)
        }
        var all: [String] = []
        for secret in found where !secret.isEmpty {
            all.append(secret)
            if let decoded = secret.removingPercentEncoding, decoded != secret { all.append(decoded) }
        }
        return all.sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by ``mask``.
    public static func redact(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        return result
    }
}

extension PQError {
    /// The same error with every secret removed from its message, detail and hint.
    public func redacting(_ secrets: [String]) -> PQError {
        guard !secrets.isEmpty else { return self }
        return PQError(
            kind: kind, sqlState: sqlState, message: ConnectionSecrets.redact(message, secrets: secrets),
            detail: detail.map { ConnectionSecrets.redact($0, secrets: secrets) },
            hint: hint.map { ConnectionSecrets.redact($0, secrets: secrets) }, connectionBroken: connectionBroken)
    }
}
