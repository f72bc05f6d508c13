#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes rows in the binary format of `COPY … FROM STDIN (FORMAT binary)`: a signature header, then per row a
/// field count and, per field, a length (−1 for NULL) and the value in the type's binary send format.
///
/// The server then parses no text: numbers, timestamps and arrays arrive as they are stored. Each value must match
/// its column's type exactly (`int4` vs `int8`, `text[]`…), which the caller knows from its column list.
///
/// ```swift
/// var encoder = CopyBinaryEncoder()
/// encoder.row(fields: 2, reserving: 64) { row in row.int8(7); row.text("a\tb") }
/// encoder.finish()   // then send `encoder.bytes`
/// ```
public struct CopyBinaryEncoder: Sendable {
    /// The encoded bytes so far (the header first, until ``removeAll()``).
    public private(set) var bytes: [UInt8] = []

    /// The signature, flags and (empty) extension that open every binary COPY stream.
    public static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The field count −1 that ends the stream.
    public static let trailer: [UInt8] = [0xFF, 0xFF]

    /// Starts the stream with its header, reserving `capacity` bytes; without the header (`header: false`) it encodes
    /// rows only, to be sent later between ``header`` and ``trailer``.
    public init(capacity: Int = 1 << 16, header: Bool = true) {
        bytes.reserveCapacity(capacity)
        if header { bytes.append(contentsOf: Self.header) }
    }

    /// Makes room for `count` bytes in all, so that encoding does not grow the buffer step by step.
    public mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(count)
    }

    /// Appends a row of `fields` values, which `body` writes into raw memory with room for `bound` bytes reserved
    /// ahead (a precondition checks every write): one append per row, where appending field by field checked the
    /// array's uniqueness and capacity each time.
    public mutating func row(fields: Int, reserving bound: Int, _ body: (inout CopyBinaryRow) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound + 2) { buffer in
            var row = CopyBinaryRow(base: buffer.baseAddress!, limit: bound + 2)
            row.append(Int16(fields))
            body(&row)
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress!, count: row.count))
        }
    }

    /// Ends the stream (after the last row).
    public mutating func finish() {
        bytes.append(contentsOf: Self.trailer)
    }

    /// Empties the buffer (keeping its capacity) after it was sent; the header is not written again.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }
}

/// The fields of one row of ``CopyBinaryEncoder``, written into memory reserved for the row. The `…Bound` functions
/// give the most a field takes, for the reservation.
public struct CopyBinaryRow {
    private let base: UnsafeMutablePointer<UInt8>
    private let limit: Int
    /// Bytes written so far.
    public private(set) var count = 0

    fileprivate init(base: UnsafeMutablePointer<UInt8>, limit: Int) {
        self.base = base
        self.limit = limit
    }

    /// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 (both UTC).
    static let postgresEpochOffset: Int64 = 946_684_800_000_000
    /// Element type OIDs of the arrays this encoder writes.
    static let textOID: Int32 = 25
    static let float8OID: Int32 = 701

    /// The most a fixed-size field takes (an 8-byte value and its length).
    public static let scalarBound = 12

    /// The most a `text` or `jsonb` field of `count` bytes takes.
    public static func textBound(_ count: Int) -> Int { 5 + count }

    /// The most an array field of `elements` elements of at most `bytes` bytes in all takes.
    public static func arrayBound(elements: Int, bytes: Int) -> Int { 24 + 8 * elements + bytes }

    /// A `text` value (`nil` is NULL).
    public mutating func text(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { text(utf8: $0) }
    }

    /// A `text` value given as UTF-8 (`nil` is NULL).
    public mutating func text(utf8 value: UnsafeBufferPointer<UInt8>?) {
        guard let value else { return null() }
        append(Int32(value.count))
        append(value)
    }

    /// A `jsonb` value given as JSON text in UTF-8.
    public mutating func jsonb(utf8 json: [UInt8]) {
        json.withUnsafeBufferPointer { jsonb(utf8: $0) }
    }

    /// A `jsonb` value given as JSON text in UTF-8, in memory the caller holds.
    public mutating func jsonb(utf8 json: UnsafeBufferPointer<UInt8>) {
        append(Int32(json.count + 1))
        append(UInt8(1))  // jsonb binary format version
        append(json)
    }

    /// An `int4` value (`nil` is NULL).
    public mutating func int4(_ value: Int?) {
        guard let value else { return null() }
        append(Int32(4))
        append(Int32(value))
    }

    /// An `int8` value (`nil` is NULL).
    public mutating func int8(_ value: Int64?) {
        guard let value else { return null() }
        append(Int32(8))
        append(value)
    }

    /// A `float8` value (`nil` is NULL).
    public mutating func float8(_ value: Double?) {
        guard let value else { return null() }
        append(Int32(8))
        append(value.bitPattern)
    }

    /// A `boolean` value (`nil` is NULL).
    public mutating func bool(_ value: Bool?) {
        guard let value else { return null() }
        append(Int32(1))
        append(UInt8(value ? 1 : 0))
    }

    /// A `timestamptz` value given as microseconds since 1970-01-01T00:00:00Z.
    public mutating func timestamptz(microsecondsSinceUnixEpoch microseconds: Int64) {
        int8(microseconds - Self.postgresEpochOffset)
    }

    /// A one-dimensional `text[]` value without NULL elements.
    public mutating func textArray(_ values: [String]) {
        var length = values.isEmpty ? 12 : 20
        for value in values { length += 4 + value.utf8.count }
        append(Int32(length))
        arrayHeader(count: values.count, elementType: Self.textOID)
        for value in values { text(value) }
    }

    /// A one-dimensional `text[]` value without NULL elements, each given as the UTF-8 in `utf8` at one of `ranges`.
    public mutating func textArray(ranges: [Range<Int>], of utf8: UnsafeBufferPointer<UInt8>) {
        var length = ranges.isEmpty ? 12 : 20
        for range in ranges { length += 4 + range.count }
        append(Int32(length))
        arrayHeader(count: ranges.count, elementType: Self.textOID)
        for range in ranges { text(utf8: UnsafeBufferPointer(rebasing: utf8[range])) }
    }

    /// A one-dimensional `float8[]` value without NULL elements (`nil` is NULL).
    public mutating func float8Array(_ values: [Double]?) {
        float8Array(values?[...])
    }

    /// A one-dimensional `float8[]` value without NULL elements, from part of a larger array (`nil` is NULL).
    public mutating func float8Array(_ values: ArraySlice<Double>?) {
        guard let values else { return null() }
        append(Int32((values.isEmpty ? 12 : 20) + 12 * values.count))
        arrayHeader(count: values.count, elementType: Self.float8OID)
        for value in values { float8(value) }
    }

    /// A NULL value.
    public mutating func null() {
        append(Int32(-1))
    }

    /// ndim, has-nulls flag and element type; then, for a non-empty array, its length and lower bound 1.
    private mutating func arrayHeader(count: Int, elementType: Int32) {
        append(Int32(count > 0 ? 1 : 0))
        append(Int32(0))
        append(elementType)
        guard count > 0 else { return }
        append(Int32(count))
        append(Int32(1))
    }

    /// A value in network byte order.
    fileprivate mutating func append<T: FixedWidthInteger>(_ value: T) {
        precondition(count + MemoryLayout<T>.size <= limit, "CopyBinaryRow wrote past the room reserved for it")
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.bigEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        precondition(count + bytes.count <= limit, "CopyBinaryRow wrote past the room reserved for it")
        memcpy(base + count, source, bytes.count)
        count += bytes.count
    }
}
