import AuditStore

extension AuditApp {
    /// Recomputes the tamper-evident chain of the record tables the calibration store's and drift findings' hashes.
    public func verify() throws -> ChainReport {
        let connection = try migratedConnection()
        let records = try ChainVerifier.verify(connection)
        let calibration = try (CalibrationStore.verify(connection) + DriftStore.verify(connection)).map {
            ChainReport.Problem(batchID: nil, row: nil, message: $0)
        }
        return ChainReport(batches: records.batches, rows: records.rows, head: records.head, problems: records.problems + calibration)
    }
}
