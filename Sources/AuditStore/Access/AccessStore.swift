import AuditCore
import PQ

/// The access log (migration 0012): every read of record-level or derived data, append-only and hash-chained.
public enum AccessStore {
    /// Appends `events` in one transaction, each linked after the previous one under the access chain's advisory lock;
    /// the database role that writes them is recorded in each. Returns the events as stored.
    @discardableResult
    public static func append(_ connection: PQConnection, _ events: [AccessEvent]) throws -> [AccessEvent] {
        guard !events.isEmpty else { return [] }
        return try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.accessEvents])
            let role = try AuditDatabase.sessionRole(connection)
            var previous = try chainHead(connection) ?? ChainHash.genesis
            var stored: [AccessEvent] = []
            var occurred: [String] = [], channels: [String] = [], actors: [String] = [], actions: [String] = []
            var objects: [String] = [], clients: [String] = [], outcomes: [String] = [], statuses: [Int64] = []
            var previousHashes: [String] = [], hashes: [String] = []
            for var event in events {
                event.databaseRole = role
                let hash = linkHash(previous: previous, event)
                occurred.append(event.occurredAt.rfc3339)
                channels.append(event.channel.rawValue)
                actors.append(event.actor)
                actions.append(event.action)
                objects.append(event.objectText)
                clients.append(event.client ?? "")  // arrays carry no NULL: '' and -1 stand for none
                outcomes.append(event.outcome.rawValue)
                statuses.append(event.status.map(Int64.init) ?? -1)
                previousHashes.append(previous)
                hashes.append(hash)
                event.eventHash = hash
                stored.append(event)
                previous = hash
            }
            let inserted = try connection.query(
                """
                INSERT INTO access_events (occurred_at, channel, actor, database_role, action, object, client, outcome, status,
                                           prev_event_hash, event_hash)
                SELECT o::timestamptz, ch, a, $11, ac, ob, NULLIF(cl, ''), ou, NULLIF(st, -1), pr, h
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[],
                            $9::text[], $10::text[]) WITH ORDINALITY AS t(o, ch, a, ac, ob, cl, ou, st, pr, h, n)
                ORDER BY n
                RETURNING event_id
                """,
                [occurred, channels, actors, actions, objects, clients, outcomes, statuses, previousHashes, hashes, role])
            let ids = try inserted.rows.map { try $0.decode("event_id", as: Int64.self) }
            for index in stored.indices where index < ids.count { stored[index].eventID = ids[index] }
            return stored
        }
    }

    /// Events of [since, until) (either bound open), oldest first, optionally of one actor; at most `limit`.
    public static func list(
        _ connection: PQConnection, since: Timestamp? = nil, until: Timestamp? = nil, actor: String? = nil, limit: Int = 10_000
    ) throws -> [AccessEvent] {
        try connection.query(
            """
            SELECT \(columns) FROM access_events
            WHERE ($1::timestamptz IS NULL OR occurred_at >= $1) AND ($2::timestamptz IS NULL OR occurred_at < $2)
              AND ($3::text IS NULL OR actor = $3)
            ORDER BY event_id LIMIT $4
            """, [since?.rfc3339, until?.rfc3339, actor, Int64(limit)]
        ).rows.map(decode)
    }

    /// The month's part of the access log as the report shows it: events per actor, action and outcome; the actors first
    /// seen in [from, to); and every hour outside working hours (``AccessSection/workingHoursUTC``, weekends) in which one
    /// actor read at least ``AccessSection/bulkThreshold`` times.
    public static func section(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> AccessSection {
        let range: [(any PQEncodable)?] = [from.rfc3339, to.rfc3339]
        let counts = try connection.query(
            """
            SELECT actor, action, outcome, count(*) AS n FROM access_events WHERE occurred_at >= $1 AND occurred_at < $2
            GROUP BY actor, action, outcome ORDER BY actor, action, outcome
            """, range
        ).rows.map { row in
            AccessSection.Count(
                actor: try row.decode("actor"), action: try row.decode("action"), outcome: try row.decode("outcome"),
                count: try row.decode("n"))
        }
        let bulk = try connection.query(
            """
            SELECT actor, to_char(date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"') AS hour, count(*) AS n
            FROM access_events
            WHERE occurred_at >= $1 AND occurred_at < $2 AND outcome = 'allowed'
              AND (extract(hour FROM occurred_at AT TIME ZONE 'UTC') < $3 OR extract(hour FROM occurred_at AT TIME ZONE 'UTC') >= $4
                   OR extract(isodow FROM occurred_at AT TIME ZONE 'UTC') >= 6)
            GROUP BY 1, 2 HAVING count(*) >= $5 ORDER BY 1, 2
            """,
            range + [
                AccessSection.workingHoursUTC.lowerBound, AccessSection.workingHoursUTC.upperBound, AccessSection.bulkThreshold,
            ]
        ).rows.map { row in
            AccessSection.BulkHour(actor: try row.decode("actor"), hour: try row.decode("hour"), count: try row.decode("n"))
        }
        return AccessSection(counts: counts, newActors: try newActors(connection, from: from, to: to), offHoursBulk: bulk)
    }

    /// The actors whose first event falls in [from, to) (the month's events, and one probe of the (actor, occurred_at)
    /// index per actor: not the whole log).
    public static func newActors(_ connection: PQConnection, from: Timestamp, to: Timestamp) throws -> [String] {
        try connection.query(
            """
            SELECT DISTINCT actor FROM access_events a
            WHERE occurred_at >= $1 AND occurred_at < $2
              AND NOT EXISTS (SELECT 1 FROM access_events e WHERE e.actor = a.actor AND e.occurred_at < $1)
            ORDER BY actor
            """, [from.rfc3339, to.rfc3339]
        ).rows.map { try $0.decode("actor") }
    }

    /// Walks the whole access chain: every event linked over its stored fields and in sequence.
    public static func verify(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query("SELECT \(columns), prev_event_hash FROM access_events ORDER BY event_id")
        var problems: [String] = []
        var previous = ChainHash.genesis
        for row in result.rows {
            let event = try decode(row)
            let stored = event.eventHash ?? ""
            let storedPrevious: String = try row.decode("prev_event_hash")
            if storedPrevious != previous || linkHash(previous: storedPrevious, event) != stored {
                problems.append("access event \(event.eventID ?? 0): does not match the access chain (edited, removed or inserted)")
            }
            previous = stored
        }
        return problems
    }

    /// The newest event's hash (nil while the log is empty).
    public static func chainHead(_ connection: PQConnection) throws -> String? {
        let result = try connection.query("SELECT event_hash FROM access_events ORDER BY event_id DESC LIMIT 1")
        return try result.rows.first?.decode("event_hash")
    }

    /// True when some event has `hash` as its hash (an anchor taken earlier is still there).
    public static func containsLink(_ connection: PQConnection, hash: String) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT 1 FROM access_events WHERE event_hash = $1)", [hash]).bool(0, 0) == true
    }

    static func linkHash(previous: String, _ event: AccessEvent) -> String {
        ChainHash.sha256(previous + "\n" + event.canonicalText)
    }

    private static let columns = """
        event_id, (extract(epoch FROM occurred_at) * 1000000)::int8 AS occurred_us, channel, actor, database_role, action, object,
        client, outcome, status, event_hash
        """

    private static func decode(_ row: PQRow) throws -> AccessEvent {
        let objectText: String = try row.decode("object")
        var object: [String: String] = [:]
        if case .object(let members)? = try? JSONParser.parse(objectText) {
            for (key, value) in members.members { if case .string(let text) = value { object[key] = text } }
        }
        let status: Int64? = try row.decodeIfPresent("status")
        var event = AccessEvent(
            occurredAt: Timestamp(microseconds: try row.decode("occurred_us")),
            channel: try row.decode("channel"), actor: try row.decode("actor"),
            databaseRole: try row.decode("database_role"), action: try row.decode("action"), object: object,
            client: try row.decodeIfPresent("client"), outcome: try row.decode("outcome"),
            status: status.map { Int($0) })
        event.eventID = try row.decode("event_id")
        event.eventHash = try row.decode("event_hash")
        return event
    }
}
