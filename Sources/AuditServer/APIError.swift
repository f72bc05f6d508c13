import AuditCore
import Hummingbird

/// An error answered as `{"code": …, "message": …, "field": …}` with an HTTP status.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// A stable, machine-readable code such as `invalid_json` or `forbidden`.
    public let code: String
    /// A plain sentence for the person reading the logs.
    public let message: String
    /// The request field at fault, when there is one.
    public let field: String?
    /// Extra response headers (`WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(
            .object([("code", .string(code)), ("message", .string(message)), ("field", .text(field))]),
            status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    static let unauthorized: APIError = {
        var error = APIError(.unauthorized, code: "unauthorized", message: "a valid bearer token is required")
        error.headers[.wwwAuthenticate] = "Bearer realm=\"vlm-audit\""
        return error
    }()

    static let forbidden = APIError(.forbidden, code: "forbidden", message: "this token's scopes do not allow this request")

    static func unavailable(_ message: String) -> APIError {
        var error = APIError(.serviceUnavailable, code: "unavailable", message: message)
        error.headers[.retryAfter] = "1"
        return error
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "bad_request", message: message, field: field)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }
}

extension Response {
    /// A JSON response (canonical form: sorted keys, shortest round-trip numbers).
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        text(CanonicalJSON.text(value) + "\n", contentType: "application/json", status: status, headers: headers)
    }

    /// A text response of the given content type.
    static func text(_ body: String, contentType: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
