import AuditCore
import AuditStore

/// A model as `GET /v1/models` lists it.
public struct ModelOverview: Sendable {
    public let model: String
    public let predictions: Int
    public let labeled: Int
    public let firstSeen: Timestamp
    public let lastSeen: Timestamp
    public let activeCalibration: CalibrationVersion?

    public var json: JSONValue {
        .object([
            ("model", .string(model)), ("predictions", .count(predictions)), ("labeled", .count(labeled)),
            ("first_seen", .string(firstSeen.rfc3339)), ("last_seen", .string(lastSeen.rfc3339)),
            ("active_calibration", activeCalibration.map { version in
                .object([("version", .integer(version.versionID)), ("temperature", .number(version.temperature)),
                         ("threshold", .number(version.threshold)), ("method", .string(version.method))])
            } ?? .null),
        ])
    }
}

extension AuditApp {
    /// Every model with its counts and active calibration.
    public func modelOverviews() throws -> [ModelOverview] {
        let connection = try migratedConnection()
        return try ScoredPredictionQueries.models(connection).map { row in
            ModelOverview(model: row.model, predictions: row.predictions, labeled: row.labeled, firstSeen: row.first,
                          lastSeen: row.last, activeCalibration: try CalibrationStore.active(connection, model: row.model))
        }
    }

    /// True when the model has at least one stored prediction.
    public func modelExists(_ model: String) throws -> Bool {
        try ScoredPredictionQueries.modelExists(migratedConnection(), model: model)
    }
}
