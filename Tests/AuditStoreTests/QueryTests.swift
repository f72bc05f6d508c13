import AuditCore
import AuditStore
import PQ
import Testing
import TestSupport

/// Read queries and session settings, against the real database.
@Suite("store queries and sessions")
struct QueryTests {
    @Test("the model list by index skip scan names every model once, in the order of the counting query")
    func modelNames() throws {
        let database = try TestDatabase.createMigrated(prefix: "names")
        let connection = try database.connect()
        #expect(try ScoredPredictionQueries.modelNames(connection).isEmpty)
        // Interleaved models, several rows each, including names that sort close to each other.
        let models = ["b-model", "a-model", "a-model-2", "Z", "a-model"]
        let items = try (0..<20).map { index -> IngestItem in
            let line = SampleRecords.prediction(id: "q-\(index)", model: models[index % models.count])
            return IngestItem(
                lineNumber: index + 1, raw: line, outcome: .prediction(try RecordValidator.prediction(JSONParser.parse(line)).get()))
        }
        _ = try IngestBatchWriter(connection: connection, kind: .predictions, source: "test").commit(items)
        let names = try ScoredPredictionQueries.modelNames(connection)
        #expect(names == (try ScoredPredictionQueries.models(connection)).map(\.model))
        #expect(Set(names) == Set(models) && names.count == Set(models).count)
    }

    @Test("every connection the product opens runs without JIT compilation and sorts a model's month in memory")
    func sessionSettings() async throws {
        let database = try TestDatabase.createMigrated(prefix: "session")
        let settings = "SELECT current_setting('jit') || ' ' || current_setting('work_mem')"
        #expect(try database.connect().query(settings).string(0, 0) == "off 64MB")
        let pool = try database.makePool(size: 1)
        defer { pool.shutdown() }
        let pooled = try await pool.withConnection { try $0.query(settings).string(0, 0) }
        #expect(pooled == "off 64MB")
    }
}
