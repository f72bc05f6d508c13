import AuditStore

extension AuditApp {
    /// Recomputes the tamper-evident chain of the record tables and the calibration store's hashes.
    public func verify() throws -> ChainReport {
        let connection = try migratedConnection()
        let records = try ChainVerifier.verify(connection)
        let calibration = try CalibrationStore.verify(connection).map {
            ChainReport.Problem(batchID: nil, row: nil, message: $0)
        }
        return ChainReport(batches: records.batches, rows: records.rows, head: records.head, problems: records.problems + calibration)
    }
}
