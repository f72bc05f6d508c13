import PQ
import Testing
import TestSupport

@Suite("connection pool")
struct PQPoolTests {
    @Test("200 concurrent tasks share 4 connections and every insert lands")
    func concurrentTasks() async throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "pool")
        try PQConnection(conninfo: conninfo).execute("CREATE TABLE pool_t (task int PRIMARY KEY, backend int)")
        let pool = PQPool(size: 4) { try PQConnection(conninfo: conninfo) }
        defer { pool.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<200 {
                group.addTask {
                    _ = try await pool.withConnection { connection in
                        try connection.query("INSERT INTO pool_t VALUES ($1, pg_backend_pid())", [task]).affectedRows
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = try await pool.withConnection { connection in
            let row = try connection.query("SELECT count(*), count(DISTINCT backend) FROM pool_t")
            return (row.int(0, 0)!, row.int(0, 1)!)
        }
        #expect(counts.0 == 200)
        #expect(counts.1 >= 1 && counts.1 <= 4)
    }

    @Test("errors from the body reach the caller and the pool keeps working")
    func errorsPropagate() async throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "pool")
        let pool = PQPool(size: 2) { try PQConnection(conninfo: conninfo) }
        defer { pool.shutdown() }
        await #expect(throws: PQError.self) {
            try await pool.withConnection { try $0.query("SELECT * FROM missing_table") }
        }
        let one = try await pool.withConnection { try $0.query("SELECT 1").int(0, 0) }
        #expect(one == 1)
    }

    @Test("a pool whose server is unreachable answers with a connection error, not a hang")
    func unreachable() async throws {
        let pool = PQPool(size: 1) { try PQConnection(conninfo: "host=/nonexistent-socket-dir dbname=x") }
        defer { pool.shutdown() }
        let error = await #expect(throws: PQError.self) { try await pool.withConnection { _ in 1 } }
        #expect(error?.kind == .connection)
    }
}
