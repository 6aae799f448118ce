// The overlay: this broker's ZeroMQ links to its parent (a DEALER whose identity is
// our rank) and to its children (a ROUTER they connect to). Every message crosses as
// one frame holding the codec's encoding; the ROUTER adds the sender's identity.
//
// Invariants: a message from a neighbour enters the broker through its OverlayPeer
// endpoint, so requests carry the neighbour's rank on their route stack and responses
// retrace it; events only flow down, and in order, since each link is FIFO; any
// message from a neighbour counts as a sign of life (see Overlay+Health.swift).
import CZMQ
import FluxsFormats
import FluxsMessage
import FluxsReactor
import FluxsReactorZMQ
#if canImport(Glibc)
import Glibc
#endif

/// The TBON links of one broker.
final class Overlay {
    unowned let broker: Broker
    let topology: Topology
    let rank: UInt32
    let context: UnsafeMutableRawPointer
    /// CURVE keys, when the overlay is encrypted (Overlay+Curve.swift).
    var curveKeys: CurveKeys?
    var zap: UnsafeMutableRawPointer?
    var zapWatcher: ZMQWatcher?
    private var router: UnsafeMutableRawPointer?
    private var dealer: UnsafeMutableRawPointer?
    private var dealerWatcher: ZMQWatcher?
    private var watchers: [ZMQWatcher] = []
    /// Whether this broker moves to an ancestor when its parent is lost, and adopts
    /// the orphans of a lost child (tbon.heal; Overlay+Heal.swift).
    var heal = false
    /// Where the ancestors above the parent listen, and their keys (for healing).
    var ancestorCards: [UInt32: OverlayCard] = [:]
    /// The ids of the parents this broker had before healing (responses routed
    /// through one of them go to the present parent instead).
    var formerParents: Set<String> = []
    /// The responses sent to the parent lately, with when (a parent that died may
    /// not have passed them on: they are sent again after a move; Overlay+Heal.swift).
    var sentUp: [(time: Double, message: Message)] = []
    /// The URI children connect to (empty for a leaf).
    private(set) var endpoint = ""
    /// The parent's URI (empty on rank 0).
    private(set) var parentEndpoint = ""
    var parentPeer: OverlayPeer?
    /// The direct children, as routing endpoints.
    var peers: [UInt32: OverlayPeer] = [:]
    /// Who is online, lost or offline, and since when (the state machine).
    var health: OverlayHealth
    var keepaliveTimer: TimerWatcher?
    /// What runs once the subtree has shut down, and the time limit of the wait.
    var shutdownDone: (() -> Void)?
    var shutdownTimer: TimerWatcher?
    var rpcs = RPCTracker()
    var scratch: [UInt8] = []

    init(broker: Broker, topology: Topology, rank: UInt32) throws(ServiceError) {
        self.broker = broker
        self.topology = topology
        self.rank = rank
        guard let context = zmq_ctx_new() else { throw ServiceError(EIO, "cannot make a ZeroMQ context") }
        self.context = context
        let children = topology.children(of: rank)
        health = OverlayHealth(children: children, parent: topology.parent(of: rank),
                               timeout: Self.seconds(broker.attributes["tbon.timeout"], default: 10), now: Reactor.now())
        health.firstWordTimeout = Self.seconds(broker.attributes["broker.quorum-timeout"], default: 60)
        for child in children { peers[child] = OverlayPeer(overlay: self, rank: child) }
        if let parent = topology.parent(of: rank) { parentPeer = OverlayPeer(overlay: self, rank: parent) }
    }

    // MARK: - Setting up

    /// Binds the socket children connect to; returns the URI to publish (empty for a leaf).
    func bind(_ template: String) throws(ServiceError) -> String {
        guard !peers.isEmpty else { return "" }
        guard let socket = zmq_socket(context, ZMQ_ROUTER) else { throw zmqError("zmq_socket ROUTER") }
        router = socket
        setOption(socket, ZMQ_ROUTER_MANDATORY, 1)
        setOption(socket, ZMQ_ROUTER_HANDOVER, 1)
        setOption(socket, ZMQ_SNDHWM, 0)
        setOption(socket, ZMQ_RCVHWM, 0)
        setOption(socket, ZMQ_LINGER, 0)
        if let curveKeys { try makeCurveServer(socket, curveKeys) }
        guard zmq_bind(socket, template) == 0 else { throw zmqError("cannot bind the overlay to \(template)") }
        var buf = [CChar](repeating: 0, count: 1024)
        var len = buf.count
        zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buf, &len)
        endpoint = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return endpoint
    }

    /// Connects to the parent (if any), starts receiving, and says hello.
    func start(parentEndpoint: String?) throws(ServiceError) {
        if let router {
            watchers.append(try watch(router) { [unowned self] in self.receiveFromChildren() })
        }
        if let parentEndpoint, let parentPeer {
            try connect(to: parentPeer.rank, at: parentEndpoint)
        }
        startKeepalives()
    }

    /// Opens a DEALER to `parentRank` at `uri` (closing the one before), and says hello.
    func connect(to parentRank: UInt32, at uri: String) throws(ServiceError) {
        dealerWatcher?.cancel()
        if let dealer {
            setOption(dealer, ZMQ_LINGER, 0)
            zmq_close(dealer)
        }
        dealer = nil
        guard let socket = zmq_socket(context, ZMQ_DEALER) else { throw zmqError("zmq_socket DEALER") }
        dealer = socket
        var identity = Array(String(rank).utf8)
        zmq_setsockopt(socket, ZMQ_ROUTING_ID, &identity, identity.count)
        setOption(socket, ZMQ_SNDHWM, 0)
        setOption(socket, ZMQ_RCVHWM, 0)
        setOption(socket, ZMQ_LINGER, 2000)
        if let curveKeys { try makeCurveClient(socket, curveKeys) }
        guard zmq_connect(socket, uri) == 0 else {
            throw zmqError("cannot connect to the parent (rank \(parentRank)) at \(uri)")
        }
        parentEndpoint = uri
        dealerWatcher = try watch(socket) { [unowned self] in self.receiveFromParent() }
        sendControl("hello", to: parentRank)
        health.connectedToParent(now: Reactor.now())
    }

    private func watch(_ socket: UnsafeMutableRawPointer, _ handler: @escaping () -> Void) throws(ServiceError) -> ZMQWatcher {
        do { return try broker.reactor.watch(zmqSocket: socket, handler) } catch {
            throw ServiceError(error.errnum, error.description)
        }
    }

    /// Closes the sockets (after a shutdown, or when the broker exits). The receive
    /// loops stop at once: they re-check the sockets after every message.
    func close() {
        keepaliveTimer?.cancel()
        dealerWatcher?.cancel()
        for w in watchers { w.cancel() }
        watchers.removeAll()
        if let router { zmq_close(router) }
        if let dealer { zmq_close(dealer) }
        zapWatcher?.cancel()
        if let zap { zmq_close(zap) }
        router = nil
        dealer = nil
        zap = nil
        zmq_ctx_term(context)
    }

    // MARK: - Sending

    /// Sends a message to a neighbour (the parent or a child).
    func send(_ message: Message, to peerRank: UInt32) {
        scratch.removeAll(keepingCapacity: true)
        MessageCodec.encode(message, into: &scratch)
        if peerRank == parentPeer?.rank {
            guard let dealer else { return }
            _ = scratch.withUnsafeBytes { zmq_send(dealer, $0.baseAddress, $0.count, 0) }
            if heal, message.type == .response { keepSentUp(message) }
            return
        }
        guard let router, peers[peerRank] != nil else { return }
        var identity = Array(String(peerRank).utf8)
        let sent = zmq_send(router, &identity, identity.count, ZMQ_SNDMORE) >= 0
            && scratch.withUnsafeBytes { zmq_send(router, $0.baseAddress, $0.count, 0) } >= 0
        if !sent, zmq_errno() == EHOSTUNREACH {
            perform(health.sendFailed(to: peerRank, shuttingDown: shuttingDown))
        }
    }

    /// Sends an event to every online child.
    func sendDown(_ event: Message) {
        for child in health.onlineChildren { send(event, to: child) }
    }

    func sendControl(_ topic: String, to peerRank: UInt32) {
        send(Message(type: .control, topic: topic, nodeid: .rank(rank)), to: peerRank)
    }

    // MARK: - Receiving

    /// How many messages one turn of the loop takes from a socket: then timers (the
    /// keepalives) run, even while messages keep coming (the watcher comes back).
    static let batch = 64

    private func receiveFromChildren() {
        var budget = Self.batch
        while budget > 0, let router, let (identity, body) = receiveFrames(router) {
            budget -= 1
            guard let child = UInt32(identity), let peer = peers[child] ?? adopt(child) else {
                broker.log(.warning, "overlay: message from unknown peer \"\(identity)\" dropped")
                continue
            }
            guard let message = decode(body, from: "rank \(child)") else {
                _ = health.heardFromChild(child, now: Reactor.now(), joining: false)
                continue
            }
            if message.type == .control {
                perform(health.childControl(message.topic, from: child, now: Reactor.now()))
                if message.topic == "hello" { tellMoved(child) }
            } else {
                perform(health.heardFromChild(child, now: Reactor.now(), joining: true))
                broker.receive(message, from: peer)
            }
        }
    }

    private func receiveFromParent() {
        guard let parentPeer else { return }
        var budget = Self.batch
        while budget > 0, let dealer, let (_, body) = receiveFrames(dealer, withIdentity: false) {
            budget -= 1
            health.heardFromParent(now: Reactor.now())
            guard let message = decode(body, from: "the parent") else { continue }
            switch message.type {
            case .control: parentControl(message.topic)
            case .event: broker.distribute(message)
            default: broker.receive(message, from: parentPeer)
            }
        }
    }

    private func decode(_ body: [UInt8], from who: String) -> Message? {
        do { return try MessageCodec.decode(body, maxFrameSize: Int.max) } catch {
            broker.log(.err, "overlay: bad message from \(who): \(error.message)")
            return nil
        }
    }

    /// One multipart message without waiting: the identity (ROUTER) and the body.
    private func receiveFrames(_ socket: UnsafeMutableRawPointer, withIdentity: Bool = true) -> (String, [UInt8])? {
        var identity = ""
        if withIdentity {
            guard let frame = receiveFrame(socket) else { return nil }
            identity = String(decoding: frame.bytes, as: UTF8.self)
            guard frame.more else { return nil }
        }
        guard let body = receiveFrame(socket) else { return nil }
        return (identity, body.bytes)
    }

    private func receiveFrame(_ socket: UnsafeMutableRawPointer) -> (bytes: [UInt8], more: Bool)? {
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        guard zmq_msg_recv(&msg, socket, ZMQ_DONTWAIT) >= 0 else { return nil }
        let size = zmq_msg_size(&msg)
        let bytes = size == 0 ? [] : Array(UnsafeRawBufferPointer(start: zmq_msg_data(&msg), count: size))
        return (bytes, zmq_msg_more(&msg) != 0)
    }

    func setOption(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32) {
        var v = value
        zmq_setsockopt(socket, option, &v, MemoryLayout<Int32>.size)
    }

    func zmqError(_ what: String) -> ServiceError {
        let e = zmq_errno()
        return ServiceError(e, "\(what): \(String(cString: zmq_strerror(e)))")
    }
}
