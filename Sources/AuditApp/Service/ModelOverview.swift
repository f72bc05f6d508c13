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
            (
                "active_calibration",
                activeCalibration.map { version in
                    .object([
                        ("version", .integer(version.versionID)), ("temperature", .number(version.temperature)),
                        ("threshold", .number(version.threshold)), ("method", .string(version.method)),
                    ])
                } ?? .null
            ),
        ])
    }
}

extension AuditApp {
    /// Every model with its counts and active calibration.
    public func modelOverviews() throws -> [ModelOverview] {
        let connection = try migratedConnection()
        return try ScoredPredictionQueries.models(connection).map { row in
            ModelOverview(
                model: row.model, predictions: row.predictions, labeled: row.labeled, firstSeen: row.first,
                lastSeen: row.last, activeCalibration: try CalibrationStore.active(connection, model: row.model))
        }
    }

    /// True when the model has at least one stored prediction.
    public func modelExists(_ model: String) throws -> Bool {
        try ScoredPredictionQueries.modelExists(migratedConnection(), model: model)
    }
}

/// A model with no stored prediction was named.
public struct UnknownModelError: Error, CustomStringConvertible, Sendable {
    public let model: String
    public var description: String { "unknown model '\(model)': no prediction of it is stored" }
}

extension AuditApp {
    /// Throws ``UnknownModelError`` for the first named model with no stored prediction (nil names every model), so that
    /// a typo is an error, never an empty answer or a stored run about nothing.
    static func requireKnown(_ models: [String]?, _ connection: StoreConnection) throws {
        for model in models ?? [] where try !ScoredPredictionQueries.modelExists(connection, model: model) {
            throw UnknownModelError(model: model)
        }
    }
}
