import AuditCore
import AuditStore

extension AuditApp {
    /// Recomputes the tamper-evident chain of the record tables, the calibration event chain, the drift chain, the audit
    /// plan chain (with each plan's seed hash and membership bound), the monitor chain and the
    /// stored hashes of calibration versions and drift findings, and compares the schema's definitions (views,
    /// triggers, functions, constraints, …) with what the migrations define (``SchemaCheck``).
    ///
    /// A superuser could delete the newest links of a chain, or rewrite a chain from some point on, and leave it
    /// internally consistent; `anchors` (chain heads printed earlier by `verify` or in a monthly report, kept outside
    /// the database) catch that: each must still be a link of the records chain, the calibration event chain or the
    /// drift chain.
    public func verify(anchors: [String] = []) throws -> ChainReport {
        let connection = try migratedConnection()
        let records = try ChainVerifier.verify(connection)
        let chained =
            try CalibrationStore.verify(connection) + DriftStore.verify(connection) + AuditPlanStore.verify(connection)
            + MonitorStore.verify(connection)
        var problems =
            records.problems
            + chained.map {
                ChainReport.Problem(batchID: nil, row: nil, message: $0)
            }
        for anchor in anchors {
            let hash = anchor.lowercased()
            if try !ChainVerifier.contains(connection, chainHash: hash) && !CalibrationStore.containsEvent(connection, hash: hash)
                && !DriftStore.containsLink(connection, hash: hash) && !AuditPlanStore.containsLink(connection, hash: hash)
                && !MonitorStore.containsLink(connection, hash: hash)
            {
                problems.append(
                    ChainReport.Problem(
                        batchID: nil, row: nil,
                        message:
                            "anchor \(hash) is no longer a link of the records, calibration, drift, audit plan or monitor chain: history was truncated or rewritten after it was taken"
                    ))
            }
        }
        let schema = try SchemaCheck.check(connection, migrations: database.migrator.migrations())
        problems += schema.problems.map { ChainReport.Problem(batchID: nil, row: nil, message: $0, area: ChainReport.schemaArea) }
        var report = ChainReport(
            batches: records.batches, rows: records.rows, head: records.head, problems: problems,
            calibrationHead: try CalibrationStore.eventChainHead(connection), driftHead: try DriftStore.chainHead(connection))
        (report.schemaDefinitions, report.schemaNotChecked) = (schema.compared, schema.notChecked)
        report.auditPlanHead = try AuditPlanStore.chainHead(connection)
        report.monitorHead = try MonitorStore.chainHead(connection)
        return report
    }
}
