// A broker in miniature for a module's unit tests, as SwiftNIO's EmbeddedChannel is for
// a channel handler: it loads one module on a real Reactor, hands it requests (as any
// user, with any roles, with any payload bytes) and events, records what the module
// answers, asks of other services and publishes, and answers the module's own requests
// with what the test scripts for those services. No socket, no router, no other module:
// what is tested is the module and its frame (handler table, roles, payload decoding).
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// Runs one module alone, for its tests.
public final class EmbeddedModuleHost: ModuleHost {
    public let reactor: Reactor
    public var rank: UInt32
    public var ownerUID: UInt32
    /// The broker attributes the module sees.
    public var attributes: [String: String]
    /// The loaded module's context (nil before `load`).
    public private(set) var context: ModuleContext?
    private var module: (any BrokerModule)?

    /// Every response the module sent to the requests the test gave it, in order.
    public private(set) var responses: [Message] = []
    /// Every request the module sent to other services, in order.
    public private(set) var sent: [Message] = []
    /// Every event the module published.
    public private(set) var published: [(topic: String, payload: JSONValue)] = []
    /// Every line the module logged.
    public private(set) var logs: [(level: LogLevel, message: String)] = []
    /// The event topic prefixes the module subscribed to.
    public private(set) var subscriptions: [String] = []
    private var services: [String: (Message) -> Void] = [:]
    private var nextMatchtag: UInt32 = 0

    /// A host on rank `rank` with `attributes`, owned by this process's user.
    public init(rank: UInt32 = 0, attributes: [String: String] = [:]) throws(SystemError) {
        reactor = try Reactor()
        self.rank = rank
        self.attributes = attributes
        ownerUID = getuid()
    }

    // MARK: - The module

    /// Makes, installs and starts a module, as `fluxs module load` does.
    @discardableResult
    public func load<M: BrokerModule>(_ type: M.Type) throws(ServiceError) -> M {
        let (module, context) = ModuleContext.make(M.self, name: M.name, in: self)
        self.context = context
        self.module = module
        do {
            try context.start()
        } catch {
            self.module = nil
            throw error
        }
        return module
    }

    /// Stops the module, as `fluxs module remove` does.
    public func unload() {
        module?.stop()
        context?.reset()
        module = nil
    }

    // MARK: - Talking to the module

    /// Sends the module a request from `userid` with `roles`, its payload `payload` (a
    /// value, as another module of the broker sends it) or the raw bytes `raw` (as a
    /// client or another broker sends it); returns its matchtag, by which `answers(to:)`
    /// finds the module's responses once the loop has turned.
    @discardableResult
    public func request(_ method: ServiceMethod, _ payload: JSONValue = [:], raw: [UInt8]? = nil,
                        userid: UInt32? = nil, roles: Roles = .owner, flags: MessageFlags = []) -> UInt32 {
        nextMatchtag &+= 1
        var request = raw.map {
            Message.request(method.topic, payload: $0, nodeid: .rank(rank), matchtag: nextMatchtag, flags: flags)
        } ?? Message.request(method.topic, value: payload, nodeid: .rank(rank), matchtag: nextMatchtag, flags: flags)
        request.userid = userid ?? ownerUID
        request.rolemask = roles
        request.route = ["test"]
        context?.deliver(request)
        return nextMatchtag
    }

    /// The module's responses to the request with `matchtag`, in order.
    public func answers(to matchtag: UInt32) -> [Message] { responses.filter { $0.matchtag == matchtag } }

    /// The last response to `matchtag` as JSON (nil when none, or not JSON).
    public func answer(to matchtag: UInt32) -> JSONValue? {
        answers(to: matchtag).last.flatMap { $0.value ?? (try? JSONValue(parsing: $0.payload)) }
    }

    /// The error of the last response to `matchtag` (nil when none, or a success).
    public func error(of matchtag: UInt32) -> ServiceError? {
        guard let last = answers(to: matchtag).last, last.errnum != 0 else { return nil }
        return ServiceError(response: last)
    }

    /// Sends the module an event.
    public func event(_ topic: String, _ payload: JSONValue = [:]) {
        context?.deliver(.event(topic, payload: payload.compactBytes))
    }

    // MARK: - Other services, as the test scripts them

    /// Serves the module's requests for `method` with `handler` (which answers with
    /// `reply(to:_:)` or `reply(to:error:)`, now or later, once or, streaming, more).
    /// Requests for methods nobody serves stay in `sent`, unanswered, until the test
    /// answers them.
    public func serve(_ method: ServiceMethod, _ handler: @escaping (Message) -> Void) {
        services[method.topic] = handler
    }

    /// Answers a request the module sent.
    public func reply(to request: Message, _ payload: JSONValue = [:]) {
        context?.deliver(request.response(value: payload))
    }

    /// Answers a request the module sent with an error.
    public func reply(to request: Message, error: ServiceError) {
        context?.deliver(request.errorResponse(error.errnum, error.message))
    }

    /// The requests the module sent for `method`, in order.
    public func sent(_ method: ServiceMethod) -> [Message] { sent.filter { $0.topic == method.topic } }

    // MARK: - The loop

    /// Turns the loop until `done` holds (or, without `done`, until the zero-delay
    /// timers have run), for at most `timeout` seconds; returns whether `done` held.
    @discardableResult
    public func settle(timeout: Double = 10, until done: (() -> Bool)? = nil) -> Bool {
        guard let done else {
            for _ in 0..<20 { reactor.runOnce(blocking: false) }
            return true
        }
        let deadline = Reactor.now() + timeout
        let tick = reactor.every(0.005) {}
        defer { tick.cancel() }
        while !done() {
            if Reactor.now() > deadline { return false }
            reactor.runOnce(blocking: true)
        }
        return true
    }

    // MARK: - ModuleHost

    public func attribute(_ name: String) -> String? { attributes[name] }

    public func log(_ level: LogLevel, _ message: String, appname: String) { logs.append((level, message)) }

    public func route(response: Message, from context: ModuleContext) { responses.append(response) }

    public func route(request: Message, from context: ModuleContext) {
        var request = request
        request.route = [context.id]
        sent.append(request)
        services[request.topic]?(request)
    }

    public func publish(_ topic: String, _ payload: JSONValue) { published.append((topic, payload)) }

    public func subscribe(_ context: ModuleContext, to prefix: String) {
        if !subscriptions.contains(prefix) { subscriptions.append(prefix) }
    }
}
