import ArgumentParser
import AuditApp
import AuditCore
import Foundation

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded local PostgreSQL cluster; grant to the least-privilege roles.",
        subcommands: [Start.self, Stop.self, Status.self, GrantRoles.self]
    )

    struct GrantRoles: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grant-roles",
            abstract: "Grant the least-privilege roles vlm_audit_app and vlm_audit_reader their access (run as the database owner).",
            discussion: """
                The migrations create the roles only when the migrating role may create roles; a DBA creates them otherwise
                (CREATE ROLE vlm_audit_app NOLOGIN; CREATE ROLE vlm_audit_reader NOLOGIN) and the owner runs this command.
                See docs/deployment.md.
                """)
        @OptionGroup var options: DatabaseOptions

        func run() throws {
            let (granted, missing) = try options.app().grantRoles()
            for role in granted { printError("granted: \(role)") }
            for role in missing { printError("missing: role \(role) does not exist; a DBA creates it with CREATE ROLE \(role) NOLOGIN") }
            if granted.isEmpty { throw ExitCode.failure }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise (if needed) and start the embedded cluster.")
        @OptionGroup var options: DatabaseOptions

        func run() throws {
            let (started, home) = try managingEmbeddedCluster { try options.app().startEmbeddedCluster() }
            printError(started ? "started: \(home)" : "already running: \(home)")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        @OptionGroup var options: DatabaseOptions

        func run() throws {
            printError(try managingEmbeddedCluster { try options.app().stopEmbeddedCluster() } ? "stopped" : "not running")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where the database is, whether it answers, and the schema's state.")
        @OptionGroup var options: DatabaseOptions

        func run() throws {
            let report = options.app().databaseStatus()
            print("database:   \(report.location)")
            if let cluster = report.clusterStatus { print("cluster:    \(cluster)") }
            guard let version = report.serverVersion else {
                print("server:     not reachable")
                throw ExitCode.failure
            }
            print("server:     PostgreSQL \(version)")
            if let pending = report.pendingMigrations {
                print("schema:     " + (pending.isEmpty ? "current" : "pending migrations: \(pending.joined(separator: ", "))"))
            }
            if let counts = report.counts {
                print(
                    "records:    \(counts.predictions) predictions, \(counts.labels) labels, "
                        + "\(counts.quarantined) quarantined, \(counts.batches) batches")
            }
        }
    }
}

/// Runs `body`; a database that is not the embedded cluster is a usage error (exit 2).
private func managingEmbeddedCluster<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as EmbeddedClusterNotInUse {
        throw ValidationError(error.description)
    }
}

/// Human text goes to stderr; stdout is for machine-readable output.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
