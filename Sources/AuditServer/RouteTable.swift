import Foundation

/// The server's routes as (method, path segments), for naming a request's route outside the router: which methods a
/// path allows (405), and which route and parameters a request had (the access log). A parameter segment reads
/// `:name` (the router's notation) or `{name}` (the OpenAPI document's).
struct RouteTable: Sendable {
    struct Route: Sendable {
        let method: String
        let segments: [Substring]

        /// `/v1/models/{model}/evaluation`: the notation of the OpenAPI document.
        var template: String {
            "/" + segments.map { RouteTable.parameterName($0).map { "{\($0)}" } ?? String($0) }.joined(separator: "/")
        }

        /// True when `path` (split at `/`) has this route's shape.
        func matches(_ path: [Substring]) -> Bool {
            segments.count == path.count && zip(segments, path).allSatisfy { RouteTable.parameterName($0) != nil || $0 == $1 }
        }

        /// The values of this route's parameters in `path` (percent-decoded), by name.
        func parameters(in path: [Substring]) -> [String: String] {
            var values: [String: String] = [:]
            for (pattern, segment) in zip(segments, path) {
                if let name = RouteTable.parameterName(pattern) {
                    values[name] = String(segment).removingPercentEncoding ?? String(segment)
                }
            }
            return values
        }
    }

    let routes: [Route]

    /// The table of `(method, path)` pairs as the router lists them (`/v1/models/:model/evaluation`).
    init(_ routes: [(method: String, path: String)]) {
        self.routes = routes.map { Route(method: $0.method, segments: $0.path.split(separator: "/")) }
    }

    /// The name of a parameter segment, or nil for a literal one.
    static func parameterName(_ segment: Substring) -> String? {
        if segment.hasPrefix(":") { return String(segment.dropFirst()) }
        if segment.hasPrefix("{") && segment.hasSuffix("}") { return String(segment.dropFirst().dropLast()) }
        return nil
    }

    /// The routes whose shape `path` has, whatever their method.
    func routes(matching path: String) -> [Route] {
        let segments = path.split(separator: "/")
        return routes.filter { $0.matches(segments) }
    }

    /// The route that serves `method` on `path`, if any.
    func route(method: String, path: String) -> Route? {
        let segments = path.split(separator: "/")
        return routes.first { $0.method == method && $0.matches(segments) }
    }
}
