import AuditCore

/// What section 10 (access) says, shared by the Markdown and HTML renderers.
extension AccessSection {
    static let tableHeader = ["actor", "action", "allowed", "denied", "failed"]

    /// One row per actor and action, with its allowed, denied and failed events.
    var tableRows: [[String]] {
        var rows: [String: [AccessOutcome: Int]] = [:]
        var order: [String] = []
        for count in counts {
            let key = count.actor + "\u{0}" + count.action
            if rows[key] == nil { order.append(key) }
            rows[key, default: [:]][count.outcome, default: 0] += count.count
        }
        return order.map { key in
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            let byOutcome = rows[key] ?? [:]
            return parts + AccessOutcome.allCases.map { String(byOutcome[$0] ?? 0) }
        }
    }

    /// "1234 reads by 3 actors; 2 denied attempts; 1 failed."
    var summarySentence: String {
        let actors = Set(counts.map(\.actor)).count
        let allowed = total(.allowed)
        let denied = total(.denied)
        return "\(allowed) read\(allowed == 1 ? "" : "s") by \(actors) actor\(actors == 1 ? "" : "s"); "
            + "\(denied) denied attempt\(denied == 1 ? "" : "s")" + (denied > 0 ? " (DENIED: see the table)" : "") + "; "
            + "\(total(.failed)) failed."
    }

    /// The actors first seen this month.
    var newActorsSentence: String {
        newActors.isEmpty ? "New actors: none." : "New actors: " + newActors.joined(separator: ", ") + "."
    }

    /// The bulk reads outside working hours, flagged.
    var bulkSentence: String {
        let rule =
            "at least \(Self.bulkThreshold) reads by one actor in one hour outside "
            + "\(Self.workingHoursUTC.lowerBound):00–\(Self.workingHoursUTC.upperBound):00 UTC on weekdays"
        guard !offHoursBulk.isEmpty else { return "Bulk reads outside working hours (\(rule)): none." }
        return "FLAGGED: bulk reads outside working hours (\(rule)): "
            + offHoursBulk.map { "\($0.actor) at \($0.hour) (\($0.count) reads)" }.joined(separator: "; ") + "."
    }
}
