import AuditCore
import AuditStore
import Testing
import TestSupport

/// The monthly report's access section, computed on a real database from events with chosen times.
@Suite("access section of the monthly report")
struct AccessSectionTests {
    private func event(_ actor: String, at rfc3339: String, outcome: AccessOutcome = .allowed) -> AccessEvent {
        AccessEvent(
            occurredAt: Timestamp(rfc3339: rfc3339)!, channel: .http, actor: actor, action: "GET /v1/models/{model}/evaluation",
            object: ["model": "m1"], client: "10.0.0.7", outcome: outcome, status: outcome == .allowed ? 200 : 403)
    }

    @Test("counts per actor, action and outcome; new actors; bulk reads outside working hours flagged, and only those")
    func section() throws {
        let connection = try TestDatabase.createMigrated(prefix: "access").connect()
        var events = [event("token:old#1", at: "2026-10-20T10:00:00Z")]  // before the month: not new in November
        // Saturday 2026-11-07 02:xx UTC: 20 reads in one hour (the threshold), flagged.
        events += (0..<AccessSection.bulkThreshold).map { event("token:night#2", at: String(format: "2026-11-07T02:%02d:00Z", $0)) }
        // Tuesday 2026-11-10 10:xx UTC, working hours: 25 reads, not flagged.
        events += (0..<25).map { event("token:old#1", at: String(format: "2026-11-10T10:%02d:00Z", $0)) }
        // Tuesday 20:xx UTC, after hours but only 19 reads: not flagged.
        events += (0..<(AccessSection.bulkThreshold - 1)).map { event("token:late#3", at: String(format: "2026-11-10T20:%02d:00Z", $0)) }
        events.append(event("anonymous", at: "2026-11-11T09:00:00Z", outcome: .denied))
        events.append(event("token:old#1", at: "2026-12-01T00:00:00Z"))  // after the month
        try AccessStore.append(connection, events)

        let (start, end) = Timestamp.monthBounds("2026-11")!
        let section = try AccessStore.section(connection, from: start, to: end)
        #expect(section.total(.allowed) == AccessSection.bulkThreshold + 25 + AccessSection.bulkThreshold - 1)
        #expect(section.total(.denied) == 1)
        #expect(section.counts.first { $0.actor == "token:old#1" }?.count == 25)
        #expect(section.newActors == ["anonymous", "token:late#3", "token:night#2"])
        #expect(section.offHoursBulk == [AccessSection.BulkHour(actor: "token:night#2", hour: "2026-11-07T02:00Z", count: 20)])
        #expect(try AccessStore.verify(connection).isEmpty)
    }
}
