import AuditApp
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Answers every error as the API's JSON error document; database outages become 503 with `Retry-After`, and a known
/// path asked with a method it does not serve becomes 405 with `Allow`.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AuditRequestContext
    /// Every route (to tell a path served with another method, 405, from an unknown one, 404).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound && !allowedMethods(request.uri.path).isEmpty {
            let allowed = allowedMethods(request.uri.path)
            var response = try APIError(
                .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method) is not served on this path; use \(allowed.joined(separator: " or "))"
            )
            .response(from: request, context: context)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "http_error"
            let message = error.status == .notFound ? "no such resource" : (error.body ?? error.status.reasonPhrase)
            return try APIError(error.status, code: code, message: message).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError.tooLarge.response(from: request, context: context)
        } catch {
            if AuditService.isUnavailable(error) {
                context.logger.warning("database unavailable: \(error)")
                return try APIError.unavailable("the database is unavailable; retry shortly").response(from: request, context: context)
            }
            context.logger.error("request failed: \(error)")
            return try APIError(.internalServerError, code: "internal", message: "internal error; the server log has the details")
                .response(from: request, context: context)
        }
    }
}

/// Reads `Authorization: Bearer …` and puts the caller into the context; open paths need no token.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AuditRequestContext
    let service: AuditService
    let openPaths: Set<String>
    /// Every route (for naming a refused request's action in the access log).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { throw refused(request, context) }
        let secret = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let caller = try await service.caller(secret: secret, staleWhenUnavailable: request.uri.path == "/metrics") else {
            throw refused(request, context)
        }
        var context = context
        context.caller = caller
        return try await next(request, context)
    }

    /// Records a refused request to the API in the access log (outcome denied, actor `anonymous`) and returns the 401.
    private func refused(_ request: Request, _ context: Context) -> APIError {
        if request.uri.path.hasPrefix("/v1/") {
            service.recordAccess(
                AccessAuditMiddleware.event(request, routes: routes, actor: "anonymous", client: context.clientAddress, status: 401))
        }
        return APIError.unauthorized
    }
}

extension ErrorMiddleware {
    /// The methods the routes serve on `path`, sorted; empty when no route has this path.
    func allowedMethods(_ path: String) -> [String] {
        Set(routes.routes(matching: path).map(\.method)).sorted()
    }
}

extension APIError {
    static let tooLarge = APIError(.contentTooLarge, code: "too_large", message: "the request body is larger than the server accepts")
}
