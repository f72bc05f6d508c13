import AuditCore
import PQ

/// A `timestamptz` column read as a ``Timestamp`` (microseconds since the Unix epoch).
extension Timestamp: PQDecodable {
    public static func decode(_ result: PQResult, row: Int, column: Int) -> Timestamp? {
        result.epochMicroseconds(row, column).map(Timestamp.init(microseconds:))
    }
}

/// A UE method's orientation column (`confidence` or `uncertainty`).
extension Orientation: PQDecodable {}

/// A drift run's status column (`OK`, `WARN` or `ALERT`).
extension DriftSeverity: PQDecodable, PQEncodable {}

/// A calibration status column (`proposed`, `active`, `rejected`, `retired`).
extension CalibrationStatus: PQDecodable, PQEncodable {}

/// An access event's channel column (`http`, `cli`).
extension AccessChannel: PQDecodable {}

/// An access event's outcome column (`allowed`, `denied`, `failed`).
extension AccessOutcome: PQDecodable {}

/// A calibration signature's meaning column (`approved for deployment`, `rejected`, `rolled back`).
extension SignatureMeaning: PQDecodable {}
