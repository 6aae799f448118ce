// The broker core: the router between local clients, built-in services and modules.
//
// Requests: the sender's identity is pushed on the route stack; the request goes to a
// built-in handler for its topic, else to the endpoint (client or module) that
// registered its service, else it is answered ENOSYS. Responses pop the route stack to
// find their endpoint. Events get a sequence number here (rank 0) and go to every
// endpoint subscribed to a prefix of their topic.
//
// Invariants: every request that wants a response gets exactly one (or, streaming, a
// stream ended by an error) unless its sender is gone; an endpoint that disconnects
// loses its services and subscriptions, and requests pending at a service it provided
// are answered with an error. Everything runs on the reactor's thread.
import FluxsFormats
import FluxsMessage
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A single-rank broker (M2): local socket, routing, built-in services, modules.
public final class Broker {
    /// The event loop everything runs on.
    public let reactor: Reactor
    /// Broker attributes.
    public internal(set) var attributes: Attributes
    /// This broker's rank.
    public let rank: UInt32
    /// The uid of the instance owner.
    public let ownerUID: UInt32
    var logRing: LogRing
    var logFollowers: [Message] = []
    var endpoints: [String: any Endpoint] = [:]
    var serviceProviders: [String: String] = [:]        // service name -> endpoint id
    var pendingAtProvider: [String: [PendingKey: Message]] = [:]
    var subscriptions: [String: [String]] = [:]          // endpoint id -> topic prefixes
    var eventSequence: UInt32 = 0
    var builtins: [String: BuiltinHandler] = [:]
    var modules = ModuleTable()
    var nextClientNumber = 0
    let startTime: Double
    var listener: LocalListener?
    var lifecycle: BrokerLifecycle
    var pendingProgram: BrokerOptions?
    var initialProgram: InitialProgram?
    var createdRundir = false
    /// Called once, when the broker has shut down, with the exit code for the process.
    public var onExit: ((Int32) -> Void)?

    struct PendingKey: Hashable {
        var route: [String]
        var matchtag: UInt32
    }

    /// Makes a broker with its attributes (already holding -S settings).
    public init(reactor: Reactor, attributes: Attributes, rank: UInt32 = 0) {
        self.reactor = reactor
        self.attributes = attributes
        self.rank = rank
        self.ownerUID = getuid()
        self.startTime = Broker.wallClock()
        self.logRing = LogRing(capacity: Int(attributes["log-ring-size"] ?? "") ?? 1024)
        self.lifecycle = BrokerLifecycle()
        registerBuiltins()
    }

    /// Seconds since the epoch.
    public static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: - Endpoints

    /// Adds an endpoint (a connection or a module) to the routing table.
    func attach(_ endpoint: any Endpoint) { endpoints[endpoint.id] = endpoint }

    /// Removes an endpoint and everything it held: services, subscriptions, followers.
    func detach(_ endpointID: String) {
        endpoints[endpointID] = nil
        subscriptions[endpointID] = nil
        logFollowers.removeAll { $0.route.last == endpointID }
        for (service, provider) in serviceProviders where provider == endpointID {
            serviceProviders[service] = nil
        }
        if let pending = pendingAtProvider.removeValue(forKey: endpointID) {
            for request in pending.values {
                respond(to: request, error: ServiceError(EHOSTUNREACH, "the provider of \(request.service) went away"))
            }
        }
    }

    /// Drops a client connection, logging why when it was not a plain close.
    func disconnect(_ client: ClientConnection, reason: String?) {
        guard !client.closed else { return }
        if let reason { log(.warning, "dropping client \(client.id) (pid \(client.pid)): \(reason)") }
        client.close()
        detach(client.id)
    }

    // MARK: - Routing

    /// A message arrived from an endpoint.
    func receive(_ message: Message, from sender: any Endpoint) {
        var message = message
        switch message.type {
        case .request:
            message.route.append(sender.id)
            routeRequest(message)
        case .response:
            routeResponse(message, from: sender)
        case .event:
            // Clients publish through event.pub; a raw event from a client is refused.
            log(.warning, "ignoring a raw event from \(sender.id) (publish with event.pub)")
        case .control:
            break
        }
    }

    /// Routes a request that already carries its sender on the route stack.
    func routeRequest(_ request: Message) {
        if !request.rolemask.contains(.owner) {
            respond(to: request, error: ServiceError(EPERM, "guest access is not allowed in this instance"))
            return
        }
        switch request.nodeid {
        case .any, .rank(rank):
            break
        case .upstream:
            respond(to: request, error: ServiceError(EHOSTUNREACH, "rank \(rank) has no upstream"))
            return
        default:
            respond(to: request, error: ServiceError(EHOSTUNREACH, "no route to rank \(request.nodeid.rawValue) in an instance of size \(attributes["size"] ?? "1")"))
            return
        }
        if let handler = builtins[request.topic] {
            guard request.rolemask.contains(handler.roles) || request.rolemask.contains(.owner) else {
                respond(to: request, error: ServiceError(EPERM, "\(request.topic) is for the instance owner"))
                return
            }
            handler.run(request)
            return
        }
        let service = String(request.service)
        if let providerID = serviceProviders[service], let provider = endpoints[providerID] {
            if request.wantsResponse {
                // Remembered so that a provider going away answers what it still owed.
                pendingAtProvider[providerID, default: [:]][PendingKey(route: request.route, matchtag: request.matchtag)] = request
            }
            provider.deliver(request)
            return
        }
        if builtinServices.contains(service) {
            respond(to: request, error: ServiceError(ENOSYS, "\(service) has no method \"\(request.topic.dropFirst(service.count + 1))\""))
        } else {
            respond(to: request, error: ServiceError(ENOSYS, "no service \"\(service)\" is registered (topic \(request.topic))"))
        }
    }

    /// Routes a response back along its route stack.
    func routeResponse(_ response: Message, from sender: (any Endpoint)? = nil) {
        var response = response
        if let sender, var pending = pendingAtProvider[sender.id] {
            let key = PendingKey(route: response.route, matchtag: response.matchtag)
            if !response.flags.contains(.streaming) || response.errnum != 0 {
                pending[key] = nil
                pendingAtProvider[sender.id] = pending
            }
        }
        guard let next = response.route.popLast() else { return }
        endpoints[next]?.deliver(response)
    }

    /// Answers a request with a payload (nothing for noresponse requests); `from` is
    /// the provider answering, when it is not the broker itself.
    func respond(to request: Message, payload: JSONValue?, from provider: (any Endpoint)? = nil) {
        guard request.wantsResponse else { return }
        routeResponse(request.response(payload: payload.map { Array($0.compactText.utf8) } ?? []), from: provider)
    }

    /// Answers a request with an error.
    func respond(to request: Message, error: ServiceError, from provider: (any Endpoint)? = nil) {
        guard request.wantsResponse else { return }
        routeResponse(request.errorResponse(error.errnum, error.message), from: provider)
    }

    // MARK: - Events

    /// Publishes an event to every subscriber; returns its sequence number.
    @discardableResult
    func publish(_ topic: String, payload: [UInt8]) -> UInt32 {
        eventSequence &+= 1
        let event = Message.event(topic, payload: payload, sequence: eventSequence)
        for (endpointID, prefixes) in subscriptions where prefixes.contains(where: { topic.hasPrefix($0) }) {
            endpoints[endpointID]?.deliver(event)
        }
        return eventSequence
    }

    // MARK: - Logging

    /// Adds an entry to the log ring, copies it to stderr when severe enough, and
    /// streams it to dmesg followers.
    public func log(_ level: LogLevel, _ message: String, appname: String = "broker") {
        append(LogEntry(timestamp: Self.wallClock(), level: level.rawValue, rank: rank, appname: appname, message: message))
    }

    func append(_ entry: LogEntry) {
        logRing.append(entry)
        if entry.level <= Int(attributes["log-stderr-level"] ?? "") ?? LogLevel.err.rawValue {
            let line = "\(entry.appname).\(LogEntry.levelNames[min(max(entry.level, 0), 7)])[\(entry.rank)]: \(entry.message)\n"
            var bytes = Array(("fluxs-broker: " + line).utf8)
            _ = write(2, &bytes, bytes.count)
        }
        for follower in logFollowers {
            routeResponse(follower.response(payload: Array(entry.json.compactText.utf8)))
        }
    }
}

/// Syslog severities.
public enum LogLevel: Int, Sendable {
    case emerg = 0, alert, crit, err, warning, notice, info, debug
}
