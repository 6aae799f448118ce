// The router's tables: which endpoints (local clients, modules, the overlay) exist,
// which endpoint provides each service, which requests each provider still owes an
// answer to (so that its loss answers them, and so that nobody forges responses), which
// event topics each endpoint subscribed to, and the broker's built-in handler table.
import FluxsMessage

/// Where messages go.
struct RoutingTable {
    /// A request pending at a provider: its route and matchtag.
    struct PendingKey: Hashable {
        var route: [String]
        var matchtag: UInt32
    }

    /// Endpoints by id.
    var endpoints: [String: any Endpoint] = [:]
    /// Service name -> the id of the endpoint that provides it.
    var providers: [String: String] = [:]
    /// Endpoint id -> the requests forwarded to it and not yet fully answered.
    var pending: [String: [PendingKey: Message]] = [:]
    /// Endpoint id -> the event topic prefixes it subscribed to.
    var subscriptions: [String: [String]] = [:]
    /// The built-in services' handler table, by topic.
    var builtins: [String: ServiceHandler] = [:]
    /// The sequence number of the last event published (rank 0).
    var eventSequence: UInt32 = 0

    /// The endpoint that provides `service`, if it is still there.
    func provider(of service: String) -> (any Endpoint)? {
        providers[service].flatMap { endpoints[$0] }
    }

    /// Forgets an endpoint and everything it held; returns the requests it owed answers to.
    mutating func detach(_ id: String) -> [Message] {
        endpoints[id] = nil
        subscriptions[id] = nil
        for (service, provider) in providers where provider == id { providers[service] = nil }
        return pending.removeValue(forKey: id).map { Array($0.values) } ?? []
    }

    /// Subscribes an endpoint to a topic prefix (once).
    mutating func subscribe(_ id: String, to prefix: String) {
        if !(subscriptions[id]?.contains(prefix) ?? false) { subscriptions[id, default: []].append(prefix) }
    }

    /// Drops a subscription; false when there was none.
    mutating func unsubscribe(_ id: String, from prefix: String) -> Bool {
        guard let index = subscriptions[id]?.firstIndex(of: prefix) else { return false }
        subscriptions[id]?.remove(at: index)
        return true
    }

    /// The endpoints subscribed to a prefix of `topic`.
    func subscribers(of topic: String) -> [any Endpoint] {
        subscriptions.compactMap { id, prefixes in
            prefixes.contains { topic.hasPrefix($0) } ? endpoints[id] : nil
        }
    }

    /// Remembers a request forwarded to an endpoint, which owes it an answer.
    mutating func remember(_ request: Message, at id: String) {
        pending[id, default: [:]][PendingKey(route: request.route, matchtag: request.matchtag)] = request
    }

    /// The request a response from endpoint `id` answers (forgotten once the answer is
    /// its last); nil when the endpoint owes no such answer.
    mutating func answered(by response: Message, from id: String) -> Message? {
        let key = PendingKey(route: response.route, matchtag: response.matchtag)
        guard let request = pending[id]?[key] else { return nil }
        if !response.flags.contains(.streaming) || response.errnum != 0 { pending[id]?[key] = nil }
        return request
    }
}
