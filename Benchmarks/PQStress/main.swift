// A stress loop over every part of the PQ layer, for the leak checker (scripts/reliability.sh runs it under
// valgrind): connections made and closed, parameterised queries, typed reads, COPY, errors, transactions that
// commit and roll back, a failed connection, and the pool. Usage: pq-stress CONNINFO [rounds] [--leak-on-purpose]
// (the last flag drops a few allocations on the floor, to show that the leak checker does report leaks).
import Foundation
import PQ

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: pq-stress CONNINFO [rounds]\n".utf8))
    exit(2)
}
let conninfo = arguments[1]
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 20 : 20

if arguments.contains("--leak-on-purpose") {
    for _ in 0..<8 {
        let block = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 16)
        block.storeBytes(of: 42, as: Int.self)
    }
}

func round(_ index: Int) throws {
    let connection = try PQConnection(conninfo: conninfo)
    try connection.execute("CREATE TEMP TABLE IF NOT EXISTS stress (id int, name text, scores float8[], tags text[], doc jsonb)")
    try connection.transaction {
        try connection.copyIn("COPY stress FROM STDIN") { stream in
            var encoder = CopyRowEncoder()
            for row in 0..<200 {
                encoder.field(row)
                encoder.field("name \(row) \t with \\ escapes \n")
                encoder.field(doubles: [Double(row), 0.5, -1e300])
                encoder.field(texts: ["a", "b,c", "\"q\""])
                encoder.field(utf8: Array("{\"k\": \(row)}".utf8))
                encoder.endRow()
            }
            try stream.send(encoder.bytes)
        }
    }
    let result = try connection.query("SELECT id, name, scores, tags, doc::text FROM stress WHERE id >= $1 ORDER BY id", [index % 50])
    for row in 0..<result.rowCount {
        _ = result.int(row, 0)
        _ = result.string(row, 1)
        _ = result.doubles(row, 2)
        _ = result.strings(row, 3)
        _ = result.string(row, 4)
    }
    do {
        try connection.query("SELECT * FROM no_such_table WHERE x = $1", ["y"])
    } catch let error as PQError {
        _ = error.description
    }
    _ = try? connection.transaction { () throws -> Void in
        try connection.execute("INSERT INTO stress (id) VALUES (-1)")
        throw PQError(kind: .query, message: "roll back on purpose")
    }
    try connection.execute("TRUNCATE stress")
    _ = try? PQConnection(conninfo: "host=/nonexistent-socket-folder dbname=none connect_timeout=1")
}

for index in 0..<rounds { try round(index) }

let pool = PQPool(size: 2) { try PQConnection(conninfo: conninfo) }
let done = DispatchSemaphore(value: 0)
Task.detached {
    for index in 0..<rounds {
        _ = try? await pool.withConnection { try $0.query("SELECT $1::int + 1", [index]).int(0, 0) }
    }
    done.signal()
}
done.wait()
pool.shutdown()
print("pq-stress: \(rounds) rounds done")
