/// Section 10 of the monthly report: who read what during the month (docs/access-audit.md).
public struct AccessSection: Sendable, Equatable {
    /// Events of one actor, action and outcome.
    public struct Count: Sendable, Equatable {
        public let actor: String
        public let action: String
        public let outcome: AccessOutcome
        public let count: Int

        public init(actor: String, action: String, outcome: AccessOutcome, count: Int) {
            self.actor = actor
            self.action = action
            self.outcome = outcome
            self.count = count
        }
    }

    /// An hour outside working hours in which one actor read at least ``bulkThreshold`` times.
    public struct BulkHour: Sendable, Equatable {
        public let actor: String
        /// The hour's start, `YYYY-MM-DDTHH:00Z`.
        public let hour: String
        public let count: Int

        public init(actor: String, hour: String, count: Int) {
            self.actor = actor
            self.hour = hour
            self.count = count
        }
    }

    /// Reads by one actor within one clock hour outside working hours that make it a bulk read.
    public static let bulkThreshold = 20
    /// Working hours, UTC, Monday to Friday: reads at other times count toward a bulk hour.
    public static let workingHoursUTC = 7..<19

    public var counts: [Count]
    /// Actors whose first event ever falls in the month.
    public var newActors: [String]
    public var offHoursBulk: [BulkHour]

    public init(counts: [Count], newActors: [String], offHoursBulk: [BulkHour]) {
        self.counts = counts
        self.newActors = newActors
        self.offHoursBulk = offHoursBulk
    }

    /// Events with `outcome`, summed.
    public func total(_ outcome: AccessOutcome) -> Int {
        counts.filter { $0.outcome == outcome }.reduce(0) { $0 + $1.count }
    }
}
