import AuditCore
import AuditStore

/// What one ingest request did, record by record.
public struct HTTPIngestResult: Sendable {
    public let batchID: Int64
    public let inserted: Int
    public let duplicates: Int
    public let rejected: Int
    /// One outcome per record, in request order.
    public let outcomes: [RecordOutcome]

    /// What happened to one record of a request.
    public struct RecordOutcome: Sendable {
        public enum Status: String, Sendable {
            case inserted, duplicate, rejected
        }

        public let status: Status
        public let predictionID: String?
        public let field: String?
        public let reason: String?
        /// For a stored clean prediction: whether it is an audit member (review it whatever its confidence).
        public var audit: Bool? = nil
    }

    /// The response document: counts and per-record results.
    public var json: JSONValue {
        .object([
            ("batch_id", .integer(batchID)), ("inserted", .count(inserted)), ("duplicates", .count(duplicates)),
            ("rejected", .count(rejected)),
            (
                "results",
                .array(
                    outcomes.enumerated().map { index, outcome in
                        outcome.json(index: index)
                    })
            ),
        ])
    }
}

extension HTTPIngestResult.RecordOutcome {
    /// The outcome as `{index, status, prediction_id, field?, reason?}`.
    public func json(index: Int?) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let index { members.append(("index", .count(index))) }
        members.append(("status", .string(status.rawValue)))
        members.append(("prediction_id", .text(predictionID)))
        if let audit { members.append(("audit", .bool(audit))) }
        if status == .rejected {
            members.append(("field", .text(field)))
            members.append(("reason", .text(reason)))
        }
        return .object(members)
    }
}

extension AuditApp {
    /// Ingests already-parsed records (one request of the HTTP service) as one batch: the same validation,
    /// quarantine, idempotency and hash chain as file ingest.
    public func ingest(values: [JSONValue], kind: RecordKind, source: String) throws -> HTTPIngestResult {
        let items = values.map { value in IngestItem(value: value, outcome: Self.outcome(of: .success(value), kind: kind)) }
        let connection = try migratedConnection()
        let writer = IngestBatchWriter(connection: connection, kind: kind, source: source)
        let outcome = try writer.commit(items)
        let schedules = kind == .predictions ? try AuditPlanStore.schedules(connection) : [:]
        /// Audit membership of a stored prediction, told to the deployed service so it can queue the case at once.
        func audit(_ item: IngestItem) -> Bool? {
            guard kind == .predictions, case .prediction(let record) = item.outcome else { return nil }
            guard record.perturbation == nil, let plan = schedules[record.model]?.plan(at: record.occurredAt), let seed = plan.seed else {
                return false
            }
            return AuditMembership.isMember(seed: seed, predictionID: record.predictionID, rate: plan.rate)
        }
        let outcomes = zip(items, outcome.statuses).map { item, status -> HTTPIngestResult.RecordOutcome in
            switch status {
            case .inserted: return .init(status: .inserted, predictionID: item.predictionID, field: nil, reason: nil, audit: audit(item))
            case .duplicate: return .init(status: .duplicate, predictionID: item.predictionID, field: nil, reason: nil, audit: audit(item))
            case .rejected(let record):
                return .init(
                    status: .rejected, predictionID: record.predictionID ?? item.predictionID, field: record.field, reason: record.reason)
            }
        }
        // New labels move the sequential monitors at once, so an alarm switches the served calibration before the reply.
        if outcome.inserted > 0,
            kind == .labels
                || items.contains(where: { if case .prediction(let record) = $0.outcome { record.label != nil } else { false } })
        {
            _ = lookAtMonitors(ofPredictions: items.compactMap(\.predictionID))
        }
        return HTTPIngestResult(
            batchID: outcome.batchID, inserted: outcome.inserted, duplicates: outcome.duplicates,
            rejected: outcome.rejections.count, outcomes: outcomes)
    }
}

extension IngestItem {
    /// The record's prediction id, when it could be read.
    var predictionID: String? {
        switch outcome {
        case .prediction(let record): return record.predictionID
        case .label(let record): return record.predictionID
        case .rejected(let rejection): return rejection.predictionID
        case .encodedPrediction: return nil  // file ingest's; a request's records are never encoded from lines
        }
    }
}
