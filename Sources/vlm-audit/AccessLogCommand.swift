import ArgumentParser
import AuditApp
import AuditCore

struct AccessLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access-log",
        abstract: "Who read what: every read of record-level or derived data, over HTTP or from this command line.",
        discussion: "Reading the access log is itself a read, and is logged (docs/access-audit.md).")
    @Option(help: "From this instant on (inclusive): YYYY-MM-DD or RFC 3339.") var since: String?
    @Option(help: "Before this instant (exclusive).") var until: String?
    @Option(help: "Only this actor (token:NAME#ID, os:USER or anonymous).") var actor: String?
    @Option(help: "At most this many events, oldest first.") var limit = 10_000
    @Flag(help: "One JSON object per event on stdout.") var json = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let app = database.app()
        let from = try since.map { try parseInstant($0, option: "--since") }
        let to = try until.map { try parseInstant($0, option: "--until") }
        let read = ["since": since, "until": until, "actor": actor].compactMapValues { $0 }.merging(["limit": String(limit)]) { a, _ in a }
        let events = try app.audited("access-log", object: read) { try app.accessLog(since: from, until: to, actor: actor, limit: limit) }
        if !json { print("event\toccurred_at\tchannel\tactor\tdatabase_role\taction\tobject\tclient\toutcome\tstatus") }
        for event in events {
            if json {
                printJSON(
                    .object([
                        ("event_id", event.eventID.map { .integer($0) } ?? .null), ("occurred_at", .string(event.occurredAt.rfc3339)),
                        ("channel", .string(event.channel.rawValue)), ("actor", .string(event.actor)),
                        ("database_role", .string(event.databaseRole)), ("action", .string(event.action)),
                        (
                            "object",
                            .object(JSONObject(event.object.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
                        ),
                        ("client", event.client.map { .string($0) } ?? .null), ("outcome", .string(event.outcome.rawValue)),
                        ("status", event.status.map { .integer(Int64($0)) } ?? .null),
                    ]))
            } else {
                let fields = [
                    event.eventID.map(String.init) ?? "", event.occurredAt.rfc3339, event.channel.rawValue, event.actor, event.databaseRole,
                    event.action, event.objectText, event.client ?? "-", event.outcome.rawValue, event.status.map(String.init) ?? "-",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }
}
