import ArgumentParser
import AuditApp
import AuditCore
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "API tokens of the HTTP service (only their hashes are stored).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once.")
        @Option(help: "A name for the token's holder, e.g. the deployed service.") var name: String
        @Option(help: "Comma-separated scopes: ingest, label, read, admin (admin includes the others).") var scope: String
        @Flag(help: "Print {id, name, scopes, token} as JSON.") var json = false
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard !name.isEmpty else { throw ValidationError("--name must not be empty") }
            if case .failure(let error) = AccessScope.parseList(scope) { throw ValidationError("--scope: \(error)") }
        }

        func run() throws {
            let scopes = try AccessScope.parseList(scope).get()
            let token = try database.app().createToken(name: name, scopes: scopes)
            if json {
                printJSON(
                    .object([
                        ("id", .integer(token.id)), ("name", .string(token.name)),
                        ("scopes", .array(token.scopes.map { .string($0.rawValue) })), ("token", .string(token.secret)),
                    ]))
            } else {
                FileHandle.standardError.write(
                    Data("token \(token.id) (\(token.name); \(scopes.map(\.rawValue).joined(separator: ","))); shown only now:\n".utf8))
                print(token.secret)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            print("id\tname\tscopes\tcreated\tstatus")
            for token in try database.app().tokens() {
                let status = token.revokedAt.map { "revoked \($0.rfc3339)" } ?? "active"
                print("\(token.id)\t\(token.name)\t\(token.scopes.joined(separator: ","))\t\(token.createdAt.rfc3339)\t\(status)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token (running servers notice within seconds).")
        @Argument(help: "The token's id (see `token list`).") var id: Int64
        @Option(help: "Why, for the record.") var reason = "revoked by an operator"
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            guard try database.app().revokeToken(id: id, reason: reason) else {
                FileHandle.standardError.write(Data("error: no active token \(id)\n".utf8))
                throw ExitCode.failure
            }
            FileHandle.standardError.write(Data("token \(id) revoked\n".utf8))
        }
    }
}
