import AuditApp
import AuditCore
import Foundation
import Hummingbird

/// Records every read under `/v1/` in the access log (docs/access-audit.md): who (the token's name and id, or
/// `anonymous`), what (the route and its model, month and query bounds), when, from which client, and how it ended.
///
/// It runs inside the authentication middleware, so it knows the caller; the authentication middleware records the
/// requests it refuses itself. Ingest requests (POST) are recorded only when refused: an accepted one is its own
/// chained batch. The event is handed to the service's recorder, which stores it off the request path.
struct AccessAuditMiddleware: RouterMiddleware {
    typealias Context = AuditRequestContext
    let service: AuditService
    /// Every route (to name the route a request matched and its parameters).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        let isRead = request.method == .get
        do {
            let response = try await next(request, context)
            if isRead { record(request, context, status: response.status.code) }
            return response
        } catch {
            let status = (error as? APIError)?.status.code ?? (error as? HTTPError)?.status.code
            if isRead || status == 403 {
                record(request, context, status: status ?? (AuditService.isUnavailable(error) ? 503 : 500))
            }
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int) {
        service.recordAccess(
            Self.event(
                request, routes: routes, actor: context.caller.map(Self.actor) ?? "anonymous", client: context.clientAddress,
                status: status))
    }

    /// How the access log names a token holder.
    static func actor(_ caller: Caller) -> String { "token:\(caller.name)#\(caller.tokenID)" }

    /// The event of `request`, answered with `status`: the route it matched (or its path), the route's parameters and
    /// the query's bounds as the object read.
    static func event(
        _ request: Request, routes: RouteTable, actor: String, client: String?, status: Int
    ) -> AccessEvent {
        let route = routes.route(method: request.method.rawValue, path: request.uri.path)
        let action = "\(request.method) " + (route?.template ?? request.uri.path)
        var object = route?.parameters(in: request.uri.path.split(separator: "/")) ?? [:]
        let query = request.uri.queryParameters
        for name in ["from", "to", "limit", "format"] {
            if let value = query.get(name) { object[name] = value }
        }
        let outcome: AccessOutcome = status < 400 ? .allowed : (status == 401 || status == 403) ? .denied : .failed
        return AccessEvent(
            occurredAt: .now(), channel: .http, actor: actor, action: action, object: object, client: client, outcome: outcome,
            status: status)
    }
}
