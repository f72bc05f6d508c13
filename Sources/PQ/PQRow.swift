/// A value that can be read from a result column (PostgreSQL's text format).
///
/// Modelled on postgres-nio's `PostgresDecodable`: a row is read by column name into typed values, and a NULL, a
/// missing column or a text that is not the type is a thrown ``PQError`` naming the column and row, never a default.
public protocol PQDecodable {
    /// The value of a non-NULL column, or nil when its text is not one of this type.
    static func decode(_ result: PQResult, row: Int, column: Int) -> Self?
}

extension String: PQDecodable {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> String? { result.string(row, column) }
}

extension Int: PQDecodable {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> Int? { result.int(row, column) }
}

extension Int64: PQDecodable {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> Int64? { result.int(row, column).map(Int64.init) }
}

extension Double: PQDecodable {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> Double? { result.double(row, column) }
}

extension Bool: PQDecodable {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> Bool? {
        result.withBytes(row, column) { bytes -> Bool? in
            guard bytes.count == 1 else { return nil }
            switch bytes[0] {
            case UInt8(ascii: "t"): return true
            case UInt8(ascii: "f"): return false
            default: return nil
            }
        } ?? nil
    }
}

/// An enumeration stored as its raw value: a text that is not one of its cases is an error. Conform with an empty
/// extension (`extension Status: PQDecodable {}`).
extension PQDecodable where Self: RawRepresentable, RawValue: PQDecodable {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> Self? {
        RawValue.decode(result, row: row, column: column).flatMap(Self.init(rawValue:))
    }
}

/// An enumeration sent as its raw value. Conform with an empty extension (`extension Status: PQEncodable {}`).
extension PQEncodable where Self: RawRepresentable, RawValue: PQEncodable {
    public var pqText: String { rawValue.pqText }
}

/// The element of a one-dimensional array column (`text[]`, `float8[]`).
public protocol PQArrayElement {
    /// The elements of a non-NULL array column, or nil when one is NULL or not of this type.
    static func decodeArray(_ result: PQResult, row: Int, column: Int) -> [Self]?
}

extension String: PQArrayElement {
    @inlinable public static func decodeArray(_ result: PQResult, row: Int, column: Int) -> [String]? {
        guard let elements = result.strings(row, column), !elements.contains(nil) else { return nil }
        return elements.map { $0 ?? "" }
    }
}

extension Double: PQArrayElement {
    @inlinable public static func decodeArray(_ result: PQResult, row: Int, column: Int) -> [Double]? {
        guard let elements = result.doubles(row, column), !elements.contains(nil) else { return nil }
        return elements.map { $0 ?? .nan }
    }
}

/// A one-dimensional array without NULL elements.
extension Array: PQDecodable where Element: PQArrayElement {
    @inlinable public static func decode(_ result: PQResult, row: Int, column: Int) -> [Element]? {
        Element.decodeArray(result, row: row, column: column)
    }
}

extension PQResult {
    /// The value at `row` and `column` (a column index, for loops that resolved it once with ``column(_:)``).
    ///
    /// - Throws: ``PQError`` when the value is NULL or its text is not a `T`.
    @inlinable public func decode<T: PQDecodable>(_ row: Int, _ column: Int, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(row, column, as: type) else {
            throw PQError(kind: .protocolViolation, message: "column \(columnName(column)) of row \(row) is NULL where a value is required")
        }
        return value
    }

    /// The value at `row` and `column`, or nil for NULL.
    ///
    /// - Throws: ``PQError`` when the value's text is not a `T`.
    @inlinable public func decodeIfPresent<T: PQDecodable>(_ row: Int, _ column: Int, as type: T.Type = T.self) throws -> T? {
        guard row >= 0, row < rowCount, column >= 0, column < columnCount else {
            throw PQError(
                kind: .protocolViolation, message: "no value at row \(row), column \(column) of a result of \(rowCount) × \(columnCount)")
        }
        if isNull(row, column) { return nil }
        guard let value = T.decode(self, row: row, column: column) else {
            throw PQError(
                kind: .protocolViolation,
                message: "column \(columnName(column)) of row \(row) is not a \(T.self): \(string(row, column) ?? "")")
        }
        return value
    }

    /// The rows, each read by column name.
    public var rows: PQRows { PQRows(result: self) }

    /// The named column of the result's only row (`INSERT … RETURNING id`, `SELECT count(*) AS n`).
    ///
    /// - Throws: ``PQError`` when the result has not exactly one row, or as ``PQRow/decode(_:as:)``.
    public func value<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard rowCount == 1 else {
            throw PQError(kind: .protocolViolation, message: "expected one row with \(column), got \(rowCount)")
        }
        return try rows[0].decode(column, as: type)
    }

    @usableFromInline func columnName(_ column: Int) -> String {
        column < columnCount ? columnNames[column] : "#\(column)"
    }
}

/// The rows of a ``PQResult``, each a ``PQRow``; column names are resolved once for all of them.
public struct PQRows: RandomAccessCollection, Sendable {
    let result: PQResult
    private let columns: [String: Int]

    init(result: PQResult) {
        self.result = result
        columns = Dictionary(result.columnNames.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }
    public subscript(position: Int) -> PQRow { PQRow(rows: self, index: position) }

    fileprivate func column(_ name: String) throws -> Int {
        guard let column = columns[name] else { throw PQError(kind: .protocolViolation, message: "result has no column named \(name)") }
        return column
    }
}

/// One row of a result, read by column name.
///
/// ```swift
/// for row in try connection.query("SELECT model, threshold FROM calibration_versions").rows {
///     let model: String = try row.decode("model")
///     let threshold: Double? = try row.decodeIfPresent("threshold")
/// }
/// ```
public struct PQRow: Sendable {
    fileprivate let rows: PQRows
    /// The row's position in its result.
    public let index: Int

    /// The value of the named column.
    ///
    /// - Throws: ``PQError`` when there is no such column, the value is NULL, or its text is not a `T`.
    public func decode<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try rows.result.decode(index, rows.column(column), as: type)
    }

    /// The value of the named column, or nil for NULL.
    ///
    /// - Throws: ``PQError`` when there is no such column or the value's text is not a `T`.
    public func decodeIfPresent<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try rows.result.decodeIfPresent(index, rows.column(column), as: type)
    }
}
