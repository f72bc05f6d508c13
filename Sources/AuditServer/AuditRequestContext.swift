import AuditApp
import AuditCore
import Hummingbird

/// The per-request context: Hummingbird's core storage and the authenticated caller.
public struct AuditRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware; nil on the open health endpoints.
    public var caller: Caller?
    /// The client's address as the connection shows it (the access log's `client`); nil when unknown.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        clientAddress = source.channel.remoteAddress.map { $0.ipAddress ?? $0.description }
    }

    /// Throws 401 when nobody authenticated and 403 when the caller lacks `scope`.
    func require(_ scope: AccessScope) throws {
        guard let caller else { throw APIError.unauthorized }
        guard caller.may(scope) else { throw APIError.forbidden }
    }
}
