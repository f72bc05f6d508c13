import Foundation
import PQ
import Testing
import TestSupport

/// Typed reads by column name: a NULL, a missing column or a text of the wrong type is an error naming the column,
/// never a default value.
@Suite("typed row decoding against a real PostgreSQL")
struct PQRowTests {
    enum Status: String, PQDecodable {
        case active, retired
    }

    let connection: PQConnection

    init() throws {
        connection = try PQConnection(conninfo: try TestDatabase.createEmpty(prefix: "pqrow"))
    }

    @Test("values read by name, each as its type; NULL reads as nil only where optional")
    func readsByName() throws {
        let result = try connection.query(
            """
            SELECT 'm1'::text AS model, 42::int8 AS n, 0.25::float8 AS rate, true AS ok, ARRAY['a','b'] AS options,
                   ARRAY[1.5, -2]::float8[] AS probs, NULL::text AS note, 'retired' AS status
            """)
        let row = try #require(result.rows.first)
        #expect(try row.decode("model") == "m1")
        #expect(try row.decode("n") == 42 as Int64)
        #expect(try row.decode("n") == 42 as Int)
        #expect(try row.decode("rate") == 0.25)
        #expect(try row.decode("ok") == true)
        #expect(try row.decode("options") == ["a", "b"])
        #expect(try row.decode("probs") == [1.5, -2.0])
        #expect(try row.decodeIfPresent("note", as: String.self) == nil)
        #expect(try row.decodeIfPresent("model") == "m1")
        #expect(try row.decode("status") == Status.retired)
        #expect(try result.value("n") == 42 as Int)
    }

    @Test("NULL where a value is required, a missing column, a wrong type and an unknown case are errors that name the column")
    func failures() throws {
        let result = try connection.query(
            """
            SELECT NULL::text AS note, 'x'::text AS word, 'paused' AS status, ARRAY[1, NULL]::float8[] AS probs, 'maybe' AS flag
            """)
        let row = try #require(result.rows.first)
        #expect { try row.decode("note", as: String.self) } throws: { "\($0)".contains("column note of row 0 is NULL") }
        #expect { try row.decode("missing", as: String.self) } throws: { "\($0)".contains("no column named missing") }
        #expect { try row.decode("word", as: Int.self) } throws: { "\($0)".contains("column word of row 0 is not a Int") }
        #expect { try row.decode("status", as: Status.self) } throws: { "\($0)".contains("column status") }
        #expect { try row.decode("probs", as: [Double].self) } throws: { "\($0)".contains("column probs") }
        #expect { try row.decode("flag", as: Bool.self) } throws: { "\($0)".contains("column flag") }
        #expect { try row.decodeIfPresent("word", as: Double.self) } throws: { "\($0)".contains("column word") }
    }

    @Test("value(_:) wants exactly one row")
    func singleRow() throws {
        let none = try connection.query("SELECT 1 AS n WHERE false")
        #expect { try none.value("n", as: Int.self) } throws: { "\($0)".contains("expected one row with n, got 0") }
        let two = try connection.query("SELECT generate_series(1, 2) AS n")
        #expect { try two.value("n", as: Int.self) } throws: { "\($0)".contains("got 2") }
        #expect(try two.rows.map { try $0.decode("n", as: Int.self) } == [1, 2])
    }
}
