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
    ///
    /// The records chain is checked from the newest checkpoint (the batches after it), or from genesis with `full` or
    /// when none was sealed; ``ChainReport/range`` says which. The checkpoint chain itself is always walked whole, and
    /// each checkpoint must still match the records chain, so a chain rewritten before a checkpoint is found either way;
    /// a single row edited before the newest checkpoint is found by `full` only.
    public func verify(anchors: [String] = [], full: Bool = false) throws -> ChainReport {
        let connection = try migratedConnection()
        let records = try ChainVerifier.verify(connection, from: full ? nil : CheckpointStore.newest(connection))
        let chained =
            try CheckpointStore.verify(connection) + CalibrationStore.verify(connection) + CalibrationSignatures.verify(connection)
            + DriftStore.verify(connection)
            + AuditPlanStore.verify(connection) + MonitorStore.verify(connection) + AccessStore.verify(connection)
        var problems =
            records.problems
            + chained.map {
                ChainReport.Problem(batchID: nil, row: nil, message: $0)
            }
        for anchor in anchors {
            let hash = anchor.lowercased()
            if try !ChainVerifier.contains(connection, chainHash: hash) && !CalibrationStore.containsEvent(connection, hash: hash)
                && !DriftStore.containsLink(connection, hash: hash) && !AuditPlanStore.containsLink(connection, hash: hash)
                && !MonitorStore.containsLink(connection, hash: hash) && !CheckpointStore.containsLink(connection, hash: hash)
                && !AccessStore.containsLink(connection, hash: hash)
            {
                problems.append(
                    ChainReport.Problem(
                        batchID: nil, row: nil,
                        message:
                            "anchor \(hash) is no longer a link of the records, calibration, drift, audit plan, monitor, checkpoint or access chain: history was truncated or rewritten after it was taken"
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
        report.checkpointHead = try CheckpointStore.chainHead(connection)
        report.accessHead = try AccessStore.chainHead(connection)
        report.range = records.range
        report.methodsCarried = records.methodsCarried
        return report
    }

    /// Verifies (from the newest checkpoint, or in full) and, when every check ran and passed, seals the verified head as
    /// a new checkpoint recorded as sealed by `by` and the database role; later verifies start from it.
    /// - Throws: ``CheckpointRefused`` when the chain is not intact, the schema could not be compared, the log is empty,
    ///   or nothing was stored since the newest checkpoint.
    public func checkpoint(
        by: String, full: Bool = false, anchors: [String] = []
    ) throws -> (report: ChainReport, checkpoint: ChainCheckpoint) {
        let report = try verify(anchors: anchors, full: full)
        guard report.intact, report.schemaNotChecked == nil else {
            throw CheckpointRefused(
                report: report,
                reason: report.intact
                    ? "the schema could not be compared with the migrations; a checkpoint seals only a fully verified chain"
                    : "the chain is not intact (\(report.problems.count) problems); nothing sealed")
        }
        guard let head = report.head else { throw CheckpointRefused(report: report, reason: "the log is empty; nothing to seal") }
        do {
            let checkpoint = try CheckpointStore.seal(
                migratedConnection(), batchID: head.batchID, batchChainHash: head.hash, batches: report.batches, rows: report.rows,
                confidenceMethods: Set(report.methodsCarried.confidence), uncertaintyMethods: Set(report.methodsCarried.uncertainty),
                by: by)
            return (report, checkpoint)
        } catch let error as CheckpointError {
            throw CheckpointRefused(report: report, reason: error.description)
        }
    }
}

/// A checkpoint that was not sealed, with the verification it rests on.
public struct CheckpointRefused: Error, CustomStringConvertible {
    public let report: ChainReport
    public let reason: String
    public var description: String { "no checkpoint sealed: \(reason)" }
}
