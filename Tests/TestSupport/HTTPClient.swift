import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A response as read off the socket.
public struct HTTPReply: Sendable {
    public let status: Int
    /// Header names in lower case.
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A deliberately small HTTP/1.1 client over a real TCP socket on loopback, one connection per request.
///
/// Blocking socket calls run on a thread of their own, never on Swift's cooperative pool (which the server
/// under test needs).
public struct HTTPClient: Sendable {
    public let port: Int
    /// Seconds to wait for the server before failing (a hang becomes an error, not a stuck test).
    public var timeoutSeconds = 30
    /// When set, the last kilobyte of each request is sent only this many seconds after the rest: the request is then
    /// certainly in flight on the server meanwhile (for shutdown tests).
    public var lastBytesDelay: Double?
    /// With `lastBytesDelay`: called once the request is on the server's socket, all but its last kilobyte.
    public var whileLastBytesHeld: (@Sendable () -> Void)?

    public init(port: Int) {
        self.port = port
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Sends one request; `token` becomes `Authorization: Bearer …`.
    public func send(
        _ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:],
        body: String? = nil
    ) async throws -> HTTPReply {
        var fields = headers
        if let token { fields["Authorization"] = "Bearer \(token)" }
        if body != nil, fields["Content-Type"] == nil { fields["Content-Type"] = "application/json" }
        let request = Self.encode(method: method, path: path, headers: fields, body: body.map { Array($0.utf8) })
        let port = port
        let timeout = timeoutSeconds
        let delay = lastBytesDelay
        let held = whileLastBytesHeld
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result {
                        do {
                            return try Self.exchange(request, port: port, timeoutSeconds: timeout, lastBytesDelay: delay, whileHeld: held)
                        } catch let failure as Failure {
                            throw Failure(description: "\(method) \(path): \(failure.description)")
                        }
                    })
            }
            thread.start()
        }
    }

    static func encode(method: String, path: String, headers: [String: String], body: [UInt8]?) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + (body ?? [])
    }

    static func exchange(
        _ request: [UInt8], port: Int, timeoutSeconds: Int, lastBytesDelay: Double? = nil, whileHeld: (@Sendable () -> Void)? = nil
    ) throws -> HTTPReply {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to port \(port) failed: errno \(errno)") }
        var sent = 0
        let held = lastBytesDelay == nil ? 0 : min(1024, request.count / 2)
        while sent < request.count {
            if held > 0, sent == request.count - held, let lastBytesDelay {
                whileHeld?()
                Thread.sleep(forTimeInterval: lastBytesDelay)
            }
            let end = sent < request.count - held ? request.count - held : request.count
            let count = request[sent..<end].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            // The server may answer (e.g. 413) and close before reading the whole body; what it said still counts.
            if count <= 0 { break }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(socket, &buffer, buffer.count)
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "no answer within \(timeoutSeconds) s") }
                if errno == ECONNRESET, !received.isEmpty { break }
                throw Failure(description: "read failed: errno \(errno)")
            }
            if count == 0 { break }
            received += buffer[0..<count]
        }
        return try parse(received)
    }

    static func parse(_ bytes: [UInt8]) throws -> HTTPReply {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "no complete response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
            else { throw Failure(description: "bad chunked body") }
            if size == 0 { break }
            output += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            index = lineEnd + 2 + size + 2
        }
        return output
    }
}
