// The module frame every service plugs into. A module is compiled in, names the
// services it provides, starts and stops with the broker or at run time
// (`fluxs module load|remove`), and reports stats. It talks to everything else only
// through messages: requests for its services arrive through its handler table (one
// row per method, as flux-core's message handler tables), and it answers, calls other
// services and publishes events through its ModuleContext. The frame looks the topic
// up (ENOSYS for a method the service lacks), checks the caller's roles against the
// method's access (EPERM), decodes the payload once (EPROTO for one that is not JSON,
// logged), and answers with whatever error the handler throws.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A broker module (a service such as kvs or sched).
public protocol BrokerModule: AnyObject {
    /// The module's name (`fluxs module load NAME`).
    static var name: String { get }
    /// The services it provides; requests whose topic starts with `SERVICE.` come to it.
    static var services: [String] { get }
    /// Ranks it runs on by default: true to load at broker start on this rank.
    static func loadsByDefault(rank: UInt32) -> Bool
    /// Makes the module; it may not send messages before `start()`.
    init(context: ModuleContext)
    /// Starts serving. Throwing leaves the module stopped; the error goes to whoever
    /// loaded it (at broker start, it stops the broker).
    func start() throws(ServiceError)
    /// Stops serving: cancel timers, drop state. Pending requests are answered by the frame.
    func stop()
    /// The module's handler table: the methods it serves and how; read once, at load.
    var handlers: [ServiceHandler] { get }
    /// Module-specific statistics for `fluxs module stats`.
    func stats() -> [String: JSONValue]
    /// A broker attribute changed at run time.
    func attributeChanged(_ name: String)
}

extension BrokerModule {
    public static func loadsByDefault(rank: UInt32) -> Bool { true }
    public func stats() -> [String: JSONValue] { [:] }
    public func attributeChanged(_ name: String) {}
}

/// What a module's context needs of the broker it is loaded in: the Broker itself, or
/// an EmbeddedModuleHost that runs a module alone for its unit tests.
public protocol ModuleHost: AnyObject {
    /// The loop everything runs on.
    var reactor: Reactor { get }
    /// The broker's rank.
    var rank: UInt32 { get }
    /// The instance owner, whose credentials a module's own requests carry.
    var ownerUID: UInt32 { get }
    /// A broker attribute's value.
    func attribute(_ name: String) -> String?
    /// Logs a line under `appname`.
    func log(_ level: LogLevel, _ message: String, appname: String)
    /// A response the module sends to one of the requests it was given.
    func route(response: Message, from context: ModuleContext)
    /// A request the module sends (its route starts with the context's id).
    func route(request: Message, from context: ModuleContext)
    /// Publishes an event (through rank 0 when the broker is another rank).
    func publish(_ topic: String, _ payload: JSONValue)
    /// Lets events whose topics start with `prefix` reach the context.
    func subscribe(_ context: ModuleContext, to prefix: String)
}

/// What a module uses to reach the rest of the instance (all through messages).
public final class ModuleContext: Endpoint {
    public let id: String
    unowned let host: any ModuleHost
    let moduleName: String
    private var rpcs = RPCTracker()
    var eventHandlers: [(prefix: String, handler: (Message) -> Void)] = []
    weak var module: (any BrokerModule)?
    private var table: [String: ServiceHandler] = [:]
    var requestsHandled = 0
    var eventsReceived = 0

    /// A context for the module `moduleName` in `host`.
    public init(host: any ModuleHost, moduleName: String) {
        self.host = host
        self.moduleName = moduleName
        self.id = "module:\(moduleName)"
    }

    /// The loop the module runs on (for timers).
    public var reactor: Reactor { host.reactor }
    /// The rank of the broker the module is loaded in.
    public var rank: UInt32 { host.rank }

    public func deliver(_ message: Message) {
        switch message.type {
        case .request:
            requestsHandled += 1
            if message.topic.utf8.count == message.service.utf8.count + 5, message.topic.hasSuffix(".ping") {
                respond(to: message, (try? Broker.decodePayload(message)) ?? [:])
            } else {
                dispatch(message)
            }
        case .response:
            rpcs.callback(for: message)?(message)
        case .event:
            eventsReceived += 1
            for (prefix, handler) in eventHandlers where message.topic.hasPrefix(prefix) { handler(message) }
        case .control:
            break
        }
    }

    /// Makes a module of `type` and its context in `host`, its handler table filled
    /// (not started): how the broker and EmbeddedModuleHost load a module.
    static func make<M: BrokerModule>(_ type: M.Type, name: String, in host: any ModuleHost) -> (module: M, context: ModuleContext) {
        let context = ModuleContext(host: host, moduleName: name)
        let module = M(context: context)
        context.module = module
        for handler in module.handlers { context.table[handler.method.topic] = handler }
        return (module, context)
    }

    /// Starts the context's module; when its start fails, what it made before failing
    /// (threads, timers) is stopped and the table forgotten.
    func start() throws(ServiceError) {
        guard let module else { return }
        do {
            try module.start()
        } catch {
            module.stop()
            reset()
            throw error
        }
    }

    /// Serves a request through the handler table: a request the module parked (until
    /// it was ready) comes back through here too.
    public func dispatch(_ request: Message) {
        guard let handler = table[request.topic] else {
            // A disconnect notice for a service that keeps nothing per client.
            if ServiceMethod.isDisconnect(request.topic) { return }
            let service = request.service
            return respond(to: request, error: ServiceError(ENOSYS, "\(service) has no method \"\(request.topic.dropFirst(service.count + 1))\""))
        }
        guard let failure = handler.serve(request) else { return }
        // Never silence a malformed request: its sender gets EPROTO, the log a line.
        if failure.errnum == EPROTO { log(.warning, "\(request.topic) from uid \(request.userid): \(failure.message)") }
        respond(to: request, error: failure)
    }

    /// Answers a request with a JSON payload.
    public func respond(to request: Message, _ payload: JSONValue = [:]) {
        guard request.wantsResponse else { return }
        host.route(response: request.response(value: payload), from: self)
    }

    /// Answers a request with a payload the caller encoded as JSON text (for hot paths
    /// that splice text they already have).
    public func respond(to request: Message, encoded payload: [UInt8]) {
        guard request.wantsResponse else { return }
        host.route(response: request.response(payload: payload), from: self)
    }

    /// Answers a request with an error.
    public func respond(to request: Message, error: ServiceError) {
        guard request.wantsResponse else { return }
        host.route(response: request.errorResponse(error.errnum, error.message), from: self)
    }

    /// Sends a request to any service; `callback` gets each response.
    public func rpc(_ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID = .any, flags: MessageFlags = [],
                    _ callback: @escaping (Message) -> Void) {
        let matchtag = rpcs.register(callback)
        var request = Message.request(method.topic, value: payload, nodeid: nodeid,
                                      matchtag: matchtag, flags: flags)
        request.userid = host.ownerUID
        request.rolemask = .owner
        host.route(request: request, from: self)
    }

    /// Publishes an event (through rank 0 when the module runs elsewhere).
    public func publish(_ event: EventTopic, _ payload: JSONValue = [:]) {
        host.publish(event.topic, payload)
    }

    /// Subscribes the module to an event; `handler` gets each of them (a module may
    /// subscribe to several).
    public func subscribe(_ event: EventTopic, _ handler: @escaping (Message) -> Void) {
        eventHandlers.append((event.topic, handler))
        host.subscribe(self, to: event.topic)
    }

    /// A broker attribute's value.
    public func attribute(_ name: String) -> String? { host.attribute(name) }

    /// Logs to the broker's ring under the module's name.
    public func log(_ level: LogLevel, _ message: String) { host.log(level, message, appname: moduleName) }

    func reset() {
        rpcs.removeAll()
        eventHandlers.removeAll()
        table.removeAll()
    }
}

extension Broker: ModuleHost {
    public func attribute(_ name: String) -> String? { attributes[name] }

    public func route(response: Message, from context: ModuleContext) { routeResponse(response, from: context) }

    public func route(request: Message, from context: ModuleContext) { receive(request, from: context) }

    public func publish(_ topic: String, _ payload: JSONValue) { publishFromAnyRank(topic, payload) }

    public func subscribe(_ context: ModuleContext, to prefix: String) {
        routes.subscribe(context.id, to: prefix)
    }
}
