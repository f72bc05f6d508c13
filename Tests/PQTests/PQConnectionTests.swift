import Foundation
import PQ
import Testing
import TestSupport

@Suite("libpq wrapper against a real PostgreSQL")
struct PQConnectionTests {
    let conninfo: String

    init() throws {
        conninfo = try TestDatabase.createEmpty(prefix: "pq")
    }

    @Test("typed values round-trip as parameters")
    func typedValues() throws {
        let connection = try PQConnection(conninfo: conninfo)
        let row = try connection.query(
            "SELECT $1::text, $2::int8, $3::float8, $4::bool, $5::float8[], $6::text[], $7::timestamptz, $8::text, $9::jsonb",
            [
                "héllo \"world\"", 9_007_199_254_740_993 as Int64, 0.1, true, [1.5, -2.25e-300, 3], ["a,b", "c\"d", "NULL", ""],
                "2026-10-05T09:12:00.123456Z", nil, #"{"b": 1, "a": [true, null]}"#,
            ]
        )
        #expect(row.string(0, 0) == "héllo \"world\"")
        #expect(row.int(0, 1) == 9_007_199_254_740_993)
        #expect(row.double(0, 2) == 0.1)
        #expect(row.bool(0, 3) == true)
        #expect(row.doubles(0, 4) == [1.5, -2.25e-300, 3])
        #expect(row.strings(0, 5) == ["a,b", "c\"d", "NULL", ""])
        #expect(row.epochMicroseconds(0, 6) == 1_791_191_520_123_456)
        #expect(row.isNull(0, 7))
        #expect(row.string(0, 7) == nil)
        #expect(row.string(0, 8) == #"{"a": [true, null], "b": 1}"#)
    }

    @Test("NULL array elements and non-finite doubles")
    func nullsAndSpecials() throws {
        let connection = try PQConnection(conninfo: conninfo)
        let row = try connection.query("SELECT ARRAY[1, NULL, 'NaN', '-Infinity']::float8[], 'Infinity'::float8")
        let values = try #require(row.doubles(0, 0))
        #expect(values.count == 4)
        #expect(values[0] == 1 && values[1] == nil && values[2]!.isNaN && values[3] == -.infinity)
        #expect(row.double(0, 1) == .infinity)
    }

    @Test("a unique violation carries SQLSTATE 23505, message and detail")
    func uniqueViolation() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE unique_t (id int PRIMARY KEY)")
        try connection.query("INSERT INTO unique_t VALUES ($1)", [1])
        let error = try #require(throws: PQError.self) { try connection.query("INSERT INTO unique_t VALUES ($1)", [1]) }
        #expect(error.sqlState == "23505")
        #expect(error.isUniqueViolation)
        #expect(error.message.contains("unique_t_pkey"))
        #expect(error.detail == "Key (id)=(1) already exists.")
        #expect(connection.isHealthy)
    }

    @Test("COPY round-trips awkward text: tabs, newlines, backslashes, unicode, empty vs NULL")
    func copyRoundTrip() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE copy_t (seq int, body text, score float8)")
        let bodies: [String?] = ["a\tb", "line1\nline2\r\n", #"back\slash\\N"#, "\\N", "", nil, "ünïcødé ✓ 𝔘", "'; DROP TABLE copy_t; --"]
        let copied = try connection.copyIn("COPY copy_t (seq, body, score) FROM STDIN") { stream in
            var encoder = CopyRowEncoder()
            for (index, body) in bodies.enumerated() {
                encoder.field(index)
                encoder.field(body)
                encoder.field(index == 0 ? nil : Double(index) / 3)
                encoder.endRow()
            }
            try stream.send(encoder.bytes)
        }
        #expect(copied == bodies.count)
        let rows = try connection.query("SELECT body, score FROM copy_t ORDER BY seq")
        #expect((0..<rows.rowCount).map { rows.string($0, 0) } == bodies)
        #expect(rows.double(0, 1) == nil)
        #expect(rows.double(1, 1) == 1.0 / 3)
    }

    @Test("COPY array and raw UTF-8 fields round-trip awkward elements")
    func copyArrays() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE copy_arrays (texts text[], numbers float8[], document jsonb)")
        let texts = ["plain", "comma, inside", "quote \"here\"", #"back\slash"#, "tab\tand\nnewline", "", "NULL", "ünïcødé {braces}"]
        let numbers = [1.5, -2.25e-300, 1e16, 0.1]
        try connection.copyIn("COPY copy_arrays FROM STDIN") { stream in
            var encoder = CopyRowEncoder()
            encoder.field(texts: texts)
            encoder.field(doubles: numbers)
            encoder.field(utf8: Array(#"{"a": "x\ty \\ z"}"#.utf8))
            encoder.endRow()
            encoder.field(texts: [])
            encoder.field(doubles: nil)
            encoder.null()
            encoder.endRow()
            try stream.send(encoder.bytes)
        }
        let rows = try connection.query("SELECT texts, numbers, document->>'a' FROM copy_arrays ORDER BY cardinality(texts) DESC")
        #expect(rows.strings(0, 0) == texts.map { Optional($0) })
        #expect(rows.doubles(0, 1) == numbers.map { Optional($0) })
        #expect(rows.string(0, 2) == "x\ty \\ z")
        #expect(rows.strings(1, 0) == [])
        #expect(rows.isNull(1, 1) && rows.isNull(1, 2))
    }

    @Test("binary COPY round-trips every type it writes, in chunks, with NULLs and edge values")
    func copyBinary() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute(
            """
            CREATE TABLE copy_binary (n int4, big int8, body text, at timestamptz, texts text[], numbers float8[], score float8,
                                      flag boolean, document jsonb)
            """)
        let texts = ["plain", "tab\tand\nnewline", #"back\slash "quote""#, "", "ünïcødé 😀"]
        let numbers = [1.5, -0.0, 5e-324, 1.7976931348623157e308, -2.25e-300, 0.1]
        let instants: [Int64] = [0, -1, 946_684_800_000_000, 1_795_000_000_123_456, -62_135_596_800_000_000]
        try connection.copyIn("COPY copy_binary FROM STDIN (FORMAT binary)") { stream in
            var encoder = CopyBinaryEncoder(capacity: 64)
            for (index, instant) in instants.enumerated() {
                let document = Array(#"{"a": "x\ty", "n": \#(index)}"#.utf8)
                let textBytes = texts.reduce(0) { $0 + $1.utf8.count }
                let bound =
                    5 * CopyBinaryRow.scalarBound + CopyBinaryRow.textBound(textBytes) + CopyBinaryRow.textBound(document.count)
                    + CopyBinaryRow.arrayBound(elements: texts.count, bytes: textBytes)
                    + CopyBinaryRow.arrayBound(elements: numbers.count, bytes: 8 * numbers.count)
                encoder.row(fields: 9, reserving: bound) { row in
                    row.int4(index == 1 ? Int(Int32.min) : index)
                    row.int8(index == 1 ? Int64.max : Int64(index) * -3)
                    row.text(index == 2 ? nil : texts[index])
                    row.timestamptz(microsecondsSinceUnixEpoch: instant)
                    row.textArray(index == 3 ? [] : texts)
                    row.float8Array(index == 4 ? nil : (index == 3 ? [] : numbers))
                    row.float8(index == 2 ? nil : numbers[index])
                    row.bool(index == 0 ? nil : index % 2 == 0)
                    row.jsonb(utf8: document)
                }
                // Sent in pieces, as the ingest writer does every megabyte: the header goes once, the trailer at the end.
                try stream.send(encoder.bytes)
                encoder.removeAll()
            }
            encoder.finish()
            try stream.send(encoder.bytes)
        }
        let rows = try connection.query(
            """
            SELECT n, big, body, (extract(epoch FROM at) * 1000000)::int8, texts, numbers, score, flag, document->>'a', document->>'n'
            FROM copy_binary ORDER BY document->>'n'
            """)
        #expect(rows.rowCount == instants.count)
        for index in instants.indices {
            #expect(rows.int(index, 0) == (index == 1 ? Int(Int32.min) : index))
            #expect(rows.int(index, 1) == (index == 1 ? Int(Int64.max) : index * -3))
            #expect(rows.string(index, 2) == (index == 2 ? nil : texts[index]))
            #expect(rows.int(index, 3) == Int(instants[index]), "instant \(index)")
            #expect(rows.strings(index, 4) == (index == 3 ? [] : texts.map { Optional($0) }))
            #expect(
                rows.doubles(index, 5)?.map { $0?.bitPattern } == (index == 4 ? nil : (index == 3 ? [] : numbers.map { $0.bitPattern })))
            #expect(rows.double(index, 6)?.bitPattern == (index == 2 ? nil : numbers[index].bitPattern))
            #expect(rows.bool(index, 7) == (index == 0 ? nil : index % 2 == 0))
            #expect(rows.string(index, 8) == "x\ty" && rows.int(index, 9) == index)
        }
    }

    @Test("binary rows encoded ahead without the header are sent as buffer slices between header and trailer")
    func copyBinaryRowsAhead() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE copy_ahead (n int4, body text)")
        var rows = CopyBinaryEncoder(capacity: 64, header: false)
        #expect(rows.bytes.isEmpty)
        var starts: [Int] = []
        for index in 0..<5 {
            starts.append(rows.bytes.count)
            rows.row(fields: 2, reserving: CopyBinaryRow.scalarBound + CopyBinaryRow.textBound(8)) { row in
                row.int4(index)
                row.text("row \(index)")
            }
        }
        starts.append(rows.bytes.count)
        // Rows 1 and 3 are left out, as the writer leaves out records found to be already stored.
        try connection.copyIn("COPY copy_ahead FROM STDIN (FORMAT binary)") { stream in
            try stream.send(CopyBinaryEncoder.header)
            try rows.bytes.withUnsafeBufferPointer { buffer in
                for index in [0, 2, 4] {
                    try stream.send(UnsafeBufferPointer(rebasing: buffer[starts[index]..<starts[index + 1]]))
                }
            }
            try stream.send(CopyBinaryEncoder.trailer)
        }
        let stored = try connection.query("SELECT n, body FROM copy_ahead ORDER BY n")
        #expect((0..<stored.rowCount).map { stored.int($0, 0) } == [0, 2, 4])
        #expect((0..<stored.rowCount).map { stored.string($0, 1) } == ["row 0", "row 2", "row 4"])
    }

    @Test("a COPY aborted by the producer leaves nothing and the connection usable")
    func copyAbort() throws {
        struct Stop: Error {}
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE copy_abort (v text)")
        #expect(throws: Stop.self) {
            try connection.copyIn("COPY copy_abort FROM STDIN") { stream in
                try stream.send(Array("one\n".utf8))
                throw Stop()
            }
        }
        #expect(try connection.query("SELECT count(*) FROM copy_abort").int(0, 0) == 0)
    }

    @Test("a throwing transaction leaves nothing behind")
    func transactionRollback() throws {
        struct Boom: Error {}
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE tx_t (v int)")
        #expect(throws: Boom.self) {
            try connection.transaction {
                try connection.query("INSERT INTO tx_t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try connection.query("SELECT count(*) FROM tx_t").int(0, 0) == 0)
        try connection.transaction { try connection.query("INSERT INTO tx_t VALUES (2)") }
        #expect(try connection.query("SELECT sum(v) FROM tx_t").int(0, 0) == 2)
    }

    @Test("a failing statement inside a transaction rolls it back")
    func transactionFailingStatement() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("CREATE TABLE tx_fail (v int PRIMARY KEY)")
        #expect(throws: PQError.self) {
            try connection.transaction {
                try connection.query("INSERT INTO tx_fail VALUES (1)")
                try connection.query("INSERT INTO tx_fail VALUES (1)")
            }
        }
        #expect(try connection.query("SELECT count(*) FROM tx_fail").int(0, 0) == 0)
    }

    @Test("a wrong password gives a clear error that does not contain the password")
    func wrongPassword() throws {
        let admin = try PQConnection(conninfo: conninfo)
        let role = TestDatabase.passwordRole
        try admin.execute(
            """
            DO $$ BEGIN
                CREATE ROLE \(role) LOGIN PASSWORD 'right-secret';
            EXCEPTION WHEN duplicate_object THEN NULL; END $$
            """)
        let secret = "wrong-secret-123"
        let error = try #require(throws: PQError.self) {
            try PQConnection(conninfo: conninfo + " user=\(role) password=\(secret)")
        }
        #expect(error.kind == .connection)
        #expect(error.message.contains("password authentication failed for user \"\(role)\""))
        #expect(!error.description.contains(secret))
        let right = try PQConnection(conninfo: conninfo + " user=\(role) password=right-secret")
        #expect(right.isHealthy)
    }

    @Test("an unreachable server fails fast with a connection error")
    func unreachable() throws {
        let error = try #require(throws: PQError.self) {
            try PQConnection(conninfo: "host=/nonexistent-socket-dir dbname=x connect_timeout=2")
        }
        #expect(error.kind == .connection)
        #expect(error.isConnectionLoss)
    }

    @Test("server notices go to the logger, not to a failure")
    func notices() throws {
        let connection = try PQConnection(conninfo: conninfo)
        try connection.execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$")
        #expect(connection.isHealthy)
    }
}

/// No connection error the product passes on prints a password, however malformed the connection string.
@Suite("connection errors never print a password")
struct ConnectionSecretTests {
    @Test(
        "libpq's message about a malformed or refused connection has the password replaced",
        arguments: [
            "postgresql://auditor:Sup3rSecretPw/audit",  // no @: libpq reads the password as a port
            "postgresql://auditor:Sup3rSecretPw@127.0.0.1:1/audit",  // refused
            "postgresql://auditor:Sup3r%53ecretPw@127.0.0.1:1/audit",  // percent-encoded
            "postgresql://127.0.0.1:1/audit?user=auditor&password=Sup3rSecretPw",
            "host=127.0.0.1 port=1 user=auditor password=Sup3rSecretPw dbname=audit",
            "host=127.0.0.1 port=1 user=auditor password='Sup3rSecretPw' dbname=audit",
            "host=127.0.0.1 port=notaport password=Sup3rSecretPw",
        ])
    func redacted(conninfo: String) throws {
        let error = try #require(throws: PQError.self) { try PQConnection(conninfo: conninfo, connectTimeoutSeconds: 2) }
        #expect(!error.description.contains("Sup3rSecretPw") && !error.description.contains("Sup3r%53ecretPw"), "\(error)")
        #expect(!error.message.isEmpty)
    }

    @Test("the secrets found in a connection string")
    func secrets() {
        #expect(ConnectionSecrets.secrets(in: "postgresql://u:p%40ss@h/db", environment: [:]) == ["p%40ss", "p@ss"])
        #expect(ConnectionSecrets.secrets(in: "postgresql://u@h:5432/db", environment: [:]).isEmpty)
        #expect(ConnectionSecrets.secrets(in: "postgresql://h:5432/db", environment: [:]).isEmpty, "a numeric port is not a secret")
        #expect(ConnectionSecrets.secrets(in: "dbname=x", environment: ["PGPASSWORD": "envsecret"]) == ["envsecret"])
        #expect(ConnectionSecrets.redact("bad \"p@ss\" here", secrets: ["p@ss"]) == "bad \"<redacted>\" here")
    }
}
