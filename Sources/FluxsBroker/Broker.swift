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
import FluxsProtocol
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
    /// The compiled-in and running modules.
    var modules = ModuleTable()
    /// The links to the parent and children brokers (none in a single-broker instance).
    var overlay: Overlay?
    /// The configuration from --config-path, as `config.get` answers it ({} without one).
    public var config: JSONValue = [:]
    /// The CURVE certificate that encrypts and authenticates the overlay, if any.
    public var curve: CurveCertificate?
    /// Where messages go: endpoints, service providers, pending requests, subscriptions.
    var routes = RoutingTable()
    /// The local socket's clients and who may connect as what.
    var clients = LocalClients()
    /// The log ring and its followers.
    var logs: BrokerLog
    /// The broker's start and end: its lifecycle state machine and what it drives.
    var life = BrokerLife()

    /// Called once, when the broker has shut down, with the exit code for the process.
    public var onExit: ((Int32) -> Void)? {
        get { life.onExit }
        set { life.onExit = newValue }
    }
    /// Called once when the instance is up: every rank online (rank 0), before the
    /// initial program starts.
    public var onStarted: (() -> Void)? {
        get { life.onStarted }
        set { life.onStarted = newValue }
    }
    /// [access] allow-guest-user: other users connect with the guest role.
    public var allowGuests: Bool {
        get { clients.allowGuests }
        set { clients.allowGuests = newValue }
    }
    /// [access] allow-root-owner: root connects as an owner of the instance.
    public var rootIsOwner: Bool {
        get { clients.rootIsOwner }
        set { clients.rootIsOwner = newValue }
    }
    /// When the broker started (seconds since the epoch).
    var startTime: Double { life.startTime }

    /// Makes a broker with its attributes (already holding -S settings).
    public init(reactor: Reactor, attributes: Attributes, rank: UInt32 = 0) {
        self.reactor = reactor
        self.attributes = attributes
        self.rank = rank
        self.ownerUID = getuid()
        self.logs = BrokerLog(ring: LogRing(capacity: Int(attributes["log-ring-size"] ?? "") ?? 1024))
        registerBuiltins()
    }

    /// Seconds since the epoch.
    public static func wallClock() -> Double { Reactor.wallClock() }

    // MARK: - Endpoints

    /// Adds an endpoint (a connection or a module) to the routing table.
    func attach(_ endpoint: any Endpoint) { routes.endpoints[endpoint.id] = endpoint }

    /// Removes an endpoint and everything it held: services, subscriptions, followers.
    func detach(_ endpointID: String) {
        logs.followers.removeAll { $0.route.last == endpointID }
        for request in routes.detach(endpointID) {
            respond(to: request, error: ServiceError(EHOSTUNREACH, "the provider of \(request.service) went away"))
        }
    }

    /// Drops a client connection, logging why when it was not a plain close. Every
    /// service the client sent requests to gets a `SERVICE.disconnect` notice along the
    /// same route, so that it can drop what the client left behind.
    func disconnect(_ client: ClientConnection, reason: String?) {
        guard !client.closed else { return }
        if let reason { log(.warning, "dropping client \(client.id) (pid \(client.pid)): \(reason)") }
        client.close()
        for address in client.contacted {
            var notice = Message.request(ServiceMethod.disconnect(address.service[...]).topic, nodeid: address.nodeid, flags: .noresponse)
            notice.userid = client.uid
            notice.rolemask = client.roles
            receive(notice, from: client)
        }
        detach(client.id)
    }

    // MARK: - Routing

    /// A message arrived from an endpoint.
    func receive(_ message: Message, from sender: any Endpoint) {
        var message = message
        switch message.type {
        case .request:
            // A local client's request starts its own route; the broker keeps the rest.
            if let client = sender as? ClientConnection {
                message.route.removeAll()
                if routes.builtins[message.topic] == nil, !ServiceMethod.isDisconnect(message.topic) {
                    client.contacted.insert(ServiceAddress(service: String(message.service), nodeid: message.nodeid))
                }
            }
            guard message.route.count < 255 else {
                log(.err, "dropping a request from \(sender.id) whose route is 255 hops deep")
                return
            }
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

    /// Routes a request that already carries its sender on the route stack: to this
    /// broker's services when it is addressed here (or to ANY and served here), else
    /// along the tree: down toward a descendant, up for everything else.
    func routeRequest(_ request: Message) {
        // Who may call what is each method's row (FluxsProtocol's catalog), checked where
        // the request is served; a caller with no role at all is refused here.
        guard !request.rolemask.isDisjoint(with: [.owner, .user]) else {
            return respond(to: request, error: ServiceError(EPERM, "guest access is not allowed in this instance"))
        }
        switch request.nodeid {
        case .any:
            if serveLocally(request) { return }
            if let parent = overlay?.parentPeer { return forward(request, to: parent) }
            respond(to: request, error: noService(request))
        case .upstream:
            guard let parent = overlay?.parentPeer else {
                return respond(to: request, error: ServiceError(EHOSTUNREACH, "rank \(rank) has no upstream"))
            }
            var up = request
            up.nodeid = .any
            forward(up, to: parent)
        case .rank(rank):
            if !serveLocally(request) { respond(to: request, error: noService(request)) }
        default:
            routeToRank(request, request.nodeid.rawValue)
        }
    }

    private func routeToRank(_ request: Message, _ target: UInt32) {
        guard let overlay, target < overlay.topology.size else {
            let size = attributes["size"] ?? "1"
            return respond(to: request, error: ServiceError(EHOSTUNREACH, "no route to rank \(target) in an instance of size \(size)"))
        }
        let below = overlay.topology.isInSubtree(target, of: rank)
        if below, let child = overlay.childToward(target) {
            if let error = overlay.unreachable(target, via: child) { return respond(to: request, error: error) }
            if let peer = overlay.peers[child] { forward(request, to: peer) }
        } else if let parent = overlay.parentPeer {
            // A rank of this subtree that moved up (healing) is reached through the
            // parent; but not when the parent sent the request here: it has no way there.
            if below, request.route.last == parent.id {
                return respond(to: request, error: ServiceError(EHOSTUNREACH, "rank \(target) is unreachable: it left rank \(rank)'s subtree"))
            }
            forward(request, to: parent)
        }
    }

    /// Serves a request here if a built-in, module or client provides its service;
    /// returns false when nothing here does.
    private func serveLocally(_ request: Message) -> Bool {
        if rank != 0, ServiceMethod.catalog[request.topic]?.placement == .rank0 {
            var toRoot = request
            toRoot.nodeid = .rank(0)
            routeToRank(toRoot, 0)
            return true
        }
        if let handler = routes.builtins[request.topic] {
            serveBuiltin(handler, request)
            return true
        }
        let service = String(request.service)
        if let provider = routes.provider(of: service) {
            // A module checks roles in its frame; a client that provides a service gets
            // only what the catalog lets the caller send (the owner's, for a topic it lacks).
            if !(provider is ModuleContext), !ServiceMethod.lookup(request.topic).allows(request.rolemask) {
                respond(to: request, error: ServiceError(EPERM, "\(request.topic) is for the instance owner"))
                return true
            }
            forward(request, to: provider)
            return true
        }
        if builtinServices.contains(service) {
            respond(to: request, error: ServiceError(ENOSYS, "\(service) has no method \"\(request.topic.dropFirst(service.count + 1))\""))
            return true
        }
        return false
    }

    private func noService(_ request: Message) -> ServiceError {
        ServiceError(ENOSYS, "no service \"\(request.service)\" is registered (topic \(request.topic))")
    }

    /// Hands a request to another endpoint, remembering it so that the endpoint's
    /// loss answers it.
    func forward(_ request: Message, to endpoint: any Endpoint) {
        if request.wantsResponse { routes.remember(request, at: endpoint.id) }
        endpoint.deliver(request)
    }

    /// Answers every request pending at an endpoint with `error` (it went away).
    func failPending(at endpointID: String, with error: ServiceError) {
        for request in takePending(at: endpointID) { respond(to: request, error: error) }
    }

    /// Takes the requests pending at an endpoint, which will not answer them.
    func takePending(at endpointID: String) -> [Message] {
        routes.pending.removeValue(forKey: endpointID).map { Array($0.values) } ?? []
    }

    /// Remembers a request as pending at an endpoint (which will answer it).
    func remember(_ request: Message, at endpointID: String) {
        routes.remember(request, at: endpointID)
    }

    /// Routes a response back along its route stack.
    /// A response from an endpoint (`sender`) must answer a request that was forwarded
    /// to it and is still pending: anything else is dropped, so no client can forge
    /// answers. It carries the requester's credentials, not the provider's.
    func routeResponse(_ response: Message, from sender: (any Endpoint)? = nil) {
        var response = response
        if let sender {
            guard let request = routes.answered(by: response, from: sender.id) else {
                log(.debug, "dropping a response from \(sender.id) that answers no pending request (\(response.topic))")
                return
            }
            response.userid = request.userid
            response.rolemask = request.rolemask
        }
        guard var next = response.route.popLast() else { return }
        if let overlay, !overlay.formerParents.isEmpty, overlay.formerParents.contains(next) {
            guard let parent = overlay.rerouteFromFormerParent(&response.route) else { return }
            next = parent
        }
        routes.endpoints[next]?.deliver(response)
    }

    /// Answers a request with a payload (nothing for noresponse requests); `from` is
    /// the provider answering, when it is not the broker itself.
    func respond(to request: Message, payload: JSONValue?, from provider: (any Endpoint)? = nil) {
        guard request.wantsResponse else { return }
        routeResponse(payload.map { request.response(value: $0) } ?? request.response(), from: provider)
    }

    /// Answers a request with a payload already encoded as JSON text.
    func respond(to request: Message, encoded payload: [UInt8], from provider: (any Endpoint)? = nil) {
        guard request.wantsResponse else { return }
        routeResponse(request.response(payload: payload), from: provider)
    }

    /// Answers a request with an error.
    func respond(to request: Message, error: ServiceError, from provider: (any Endpoint)? = nil) {
        guard request.wantsResponse else { return }
        routeResponse(request.errorResponse(error.errnum, error.message), from: provider)
    }

    // MARK: - Events

    /// Publishes an event (rank 0 only): gives it the next sequence number and sends
    /// it to every rank; returns the sequence number.
    @discardableResult
    func publish(_ topic: String, payload: [UInt8], userid: UInt32? = nil) -> UInt32 {
        routes.eventSequence &+= 1
        var event = Message.event(topic, payload: payload, sequence: routes.eventSequence)
        event.userid = userid ?? ownerUID
        distribute(event)
        return routes.eventSequence
    }

    /// Hands an event to this broker's subscribers and to its children.
    func distribute(_ event: Message) {
        for endpoint in routes.subscribers(of: event.topic) { endpoint.deliver(event) }
        overlay?.sendDown(event)
    }

    /// Publishes an event from any rank (through rank 0), without waiting.
    func publishFromAnyRank(_ topic: String, _ payload: JSONValue) {
        if rank == 0 { publish(topic, payload: payload.compactBytes); return }
        overlay?.rpc(.event.pub, ["topic": .string(topic), "payload": payload], nodeid: .rank(0)) { _ in }
    }

    // MARK: - Logging

    /// Adds an entry to the log ring, copies it to stderr when severe enough, and
    /// streams it to dmesg followers.
    public func log(_ level: LogLevel, _ message: String, appname: String = "broker") {
        append(LogEntry(timestamp: Self.wallClock(), level: level.rawValue, rank: rank, appname: appname, message: message))
    }

    func append(_ entry: LogEntry) {
        logs.ring.append(entry)
        if entry.level <= Int(attributes["log-stderr-level"] ?? "") ?? LogLevel.err.rawValue {
            let line = "\(entry.appname).\(LogEntry.levelNames[min(max(entry.level, 0), 7)])[\(entry.rank)]: \(entry.message)\n"
            var bytes = Array(("fluxs-broker: " + line).utf8)
            _ = write(2, &bytes, bytes.count)
        }
        for follower in logs.followers {
            routeResponse(follower.response(payload: entry.json.compactBytes))
        }
    }
}

/// A service at a destination, as a client addressed it.
struct ServiceAddress: Hashable {
    var service: String
    var nodeid: NodeID
}

/// Syslog severities.
public enum LogLevel: Int, Sendable {
    case emerg = 0, alert, crit, err, warning, notice, info, debug
}
