import AuditApp
import AuditCore
import Foundation
import Hummingbird
import NIOCore

/// The `/v1` endpoints, `/healthz`, `/readyz` and `/metrics` (docs/http-api.md, docs/openapi.json).
struct Routes: Sendable {
    let service: AuditService
    let limits: ServerLimits
    let metrics: ServerMetrics

    func register(on router: Router<AuditRequestContext>) {
        router.get("/healthz") { _, _ in Response.json(.object([("status", .string("ok"))])) }
        router.get("/readyz") { _, _ in
            let readiness = await service.readiness()
            metrics.readiness(readiness.ready)
            return Response.json(
                .object([("ready", .bool(readiness.ready)), ("reason", .text(readiness.reason))]),
                status: readiness.ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, context in
            if !limits.publicMetrics { try context.require(.read) }
            // The drift status comes from the database; while it is down the scrape goes on without refreshing it.
            if let runs = try? await service.latestDriftOfEveryModel() { metrics.driftStatus(runs.map { ($0.model, $0.status) }) }
            if let gauges = try? await service.monitorGauges() { metrics.monitors(gauges) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition(service: service))))
        }
        let v1 = router.group("v1")
        v1.post("predictions") { request, context in try await ingest(.predictions, request, context) }
        v1.post("labels") { request, context in try await ingest(.labels, request, context) }
        v1.get("models") { _, context in
            try context.require(.read)
            let models = try await service.models()
            return Response.json(.object([("models", .array(models.map(\.json)))]))
        }
        v1.get("models/:model/calibration") { request, context in try await calibration(request, context) }
        v1.get("models/:model/evaluation") { request, context in try await evaluation(request, context) }
        v1.get("models/:model/drift") { _, context in
            try context.require(.read)
            let model = try context.modelParameter()
            guard let run = try await service.latestDrift(model: model).first else {
                throw APIError.notFound("no drift check is stored for model \(model); run vlm-audit drift")
            }
            return Response.json(run.json)
        }
        v1.get("models/:model/monitor") { _, context in
            try context.require(.read)
            let model = try context.modelParameter()
            let monitor: ModelMonitor?
            do {
                monitor = try await service.monitor(model: model)
            } catch is UnknownModelError {
                throw APIError.notFound("model \(model) has no predictions")
            }
            guard let monitor else {
                throw APIError(
                    .notFound, code: "no_active_calibration", message: "model \(model) has no active calibration: nothing to monitor")
            }
            return Response.json(monitor.json)
        }
        v1.get("reports/:month") { request, context in try await report(request, context) }
        v1.post("calibrations/:version/activate") { request, context in try await decide(.activate, request, context) }
        v1.post("calibrations/:version/reject") { request, context in try await decide(.reject, request, context) }
        v1.get("models/:model/audit/worklist") { request, context in
            try context.require(.read)
            let model = try context.modelParameter()
            let limit =
                try request.uri.queryParameters.get("limit").map { text -> Int in
                    guard let value = Int(text), value > 0, value <= 100_000 else {
                        throw APIError.badRequest("limit must be a whole number from 1 to 100000", field: "limit")
                    }
                    return value
                } ?? 1000
            guard let worklist = try await service.auditWorklist(model: model, limit: limit) else {
                throw APIError.notFound("model \(model) has no predictions")
            }
            return Response.json(worklist.json)
        }
    }

    // MARK: - Ingest

    private func ingest(_ kind: RecordKind, _ request: Request, _ context: AuditRequestContext) async throws -> Response {
        try context.require(kind == .predictions ? .ingest : .label)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maximumBodyBytes {
            throw APIError.tooLarge
        }
        let body = try await request.body.collect(upTo: limits.maximumBodyBytes)
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(body.readableBytesView))
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "the body is not valid JSON: \(error)")
        }
        let single: Bool
        let records: [JSONValue]
        switch value {
        case .object:
            (single, records) = (true, [value])
        case .array(let items):
            guard !items.isEmpty else { throw APIError.badRequest("the array holds no records") }
            guard items.count <= limits.maximumBatchRecords else {
                throw APIError(
                    .contentTooLarge, code: "too_many_records",
                    message: "\(items.count) records in one request; at most \(limits.maximumBatchRecords) are accepted")
            }
            (single, records) = (false, items)
        default:
            throw APIError.badRequest("the body must be one record (an object) or an array of records")
        }
        let caller = context.caller!
        let result = try await service.ingest(records, kind: kind, source: "http:\(caller.name)")
        metrics.recordOutcomes(kind: kind.rawValue, inserted: result.inserted, duplicates: result.duplicates, rejected: result.rejected)
        guard single else { return Response.json(result.json) }
        let outcome = result.outcomes[0]
        switch outcome.status {
        case .inserted: return Response.json(outcome.json(index: nil), status: .created)
        case .duplicate: return Response.json(outcome.json(index: nil), status: .ok)
        case .rejected:
            return Response.json(
                .object([
                    ("code", .string("invalid_record")), ("message", .text(outcome.reason)), ("field", .text(outcome.field)),
                    ("prediction_id", .text(outcome.predictionID)),
                ]), status: .unprocessableContent)
        }
    }

    // MARK: - Signed decisions

    enum Decision { case activate, reject }

    /// Signs a calibration decision as the authenticated token: its name is the printed name, `token:<name>#<id>` the
    /// identity; no field of the body can name another signer. The body is `{"reason": "…"}`.
    private func decide(_ decision: Decision, _ request: Request, _ context: AuditRequestContext) async throws -> Response {
        try context.require(.admin)
        guard let version = context.parameters.get("version").flatMap(Int64.init), version > 0 else {
            throw APIError.badRequest("the version must be a positive whole number", field: "version")
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard case .object(let fields)? = try? JSONParser.parse(Array(body.readableBytesView)) else {
            throw APIError(.badRequest, code: "invalid_json", message: "the body must be a JSON object {\"reason\": \"…\"}")
        }
        if let unknown = fields.members.first(where: { $0.key != "reason" }) {
            throw APIError.badRequest("only reason may be given; the signer is the token's identity", field: unknown.key)
        }
        guard case .string(let reason)? = fields["reason"], !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.badRequest("reason is required: why the decision is taken", field: "reason")
        }
        let caller = context.caller!
        let signer = Signer(name: caller.name, identity: AccessAuditMiddleware.actor(caller))
        let outcome: SignedDecision
        do {
            outcome = try await service.decide(version: version, activate: decision == .activate, signer: signer, reason: reason)
        } catch let error as CalibrationDecisionRefused {
            throw APIError(
                error.unknownVersion ? .notFound : .conflict, code: error.unknownVersion ? "not_found" : "conflict",
                message: error.description)
        }
        return Response.json(outcome.json(version: version))
    }

    // MARK: - Reads

    private func calibration(_ request: Request, _ context: AuditRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try context.modelParameter()
        guard let served = try await service.servedCalibration(model: model) else {
            throw APIError(
                .notFound, code: "no_active_calibration",
                message: "model \(model) has no active calibration: escalate every case until one is activated")
        }
        let document = served.json
        let etag = "\"" + String(APITokens.hash(CanonicalJSON.text(document)).prefix(32)) + "\""
        let headers: HTTPFields = [.eTag: etag, .cacheControl: "no-cache"]
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" })
        {
            return Response(status: .notModified, headers: headers)
        }
        return Response.json(document, headers: headers)
    }

    private func evaluation(_ request: Request, _ context: AuditRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try context.modelParameter()
        let from = try instant(request, "from")
        let to = try instant(request, "to")
        if let from, let to, from >= to { throw APIError.badRequest("from must be before to", field: "from") }
        guard let document = try await service.evaluation(model: model, from: from, to: to) else {
            throw APIError.notFound("model \(model) has no predictions")
        }
        return Response.json(document)
    }

    private func report(_ request: Request, _ context: AuditRequestContext) async throws -> Response {
        try context.require(.read)
        let month = try context.parameters.require("month")
        guard let bounds = Timestamp.monthBounds(month), Timestamp.plausibleRange.contains(bounds.0) else {
            throw APIError.badRequest("the month must be YYYY-MM, not \(month)", field: "month")
        }
        let format = request.uri.queryParameters["format"].map(String.init)
        guard format == nil || format == "json" || format == "html" else {
            throw APIError.badRequest("format must be json or html", field: "format")
        }
        let wantsHTML = format.map { $0 == "html" } ?? (request.headers[.accept]?.contains("text/html") == true)
        let text = try await service.monthlyReport(month: month, format: wantsHTML ? .html : .json)
        return wantsHTML
            ? Response.text(text, contentType: "text/html; charset=utf-8")
            : Response.text(text, contentType: "application/json")
    }

    /// An optional window bound: `YYYY-MM-DD` or RFC 3339, as the CLI takes it.
    private func instant(_ request: Request, _ name: String) throws -> Timestamp? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
        guard let instant = Timestamp(dayOrRFC3339: text) else {
            throw APIError.badRequest("\(name) must be YYYY-MM-DD or an RFC 3339 timestamp such as 2026-11-01T00:00:00Z", field: name)
        }
        return instant
    }
}

/// What the server accepts.
public struct ServerLimits: Sendable {
    /// Largest request body, in bytes.
    public var maximumBodyBytes: Int
    /// Most records in one POST.
    public var maximumBatchRecords: Int
    /// Serve `/metrics` without a token.
    public var publicMetrics: Bool

    public init(maximumBodyBytes: Int = 32 << 20, maximumBatchRecords: Int = 10_000, publicMetrics: Bool = false) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumBatchRecords = maximumBatchRecords
        self.publicMetrics = publicMetrics
    }
}

extension AuditRequestContext {
    /// The `{model}` path segment, percent-decoded: a model named `x y`, `a/b` or `ñandú` arrives as `x%20y`, `a%2Fb` or
    /// `%C3%B1and%C3%BA`.
    func modelParameter() throws -> String {
        let raw = try parameters.require("model")
        guard let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
            throw APIError.badRequest("the model in the path is not valid percent-encoded UTF-8", field: "model")
        }
        return decoded
    }
}
