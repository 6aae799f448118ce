// Start-up and shutdown: the rundir and its socket, attributes, signals, modules and
// the initial program, driven by BrokerLifecycle's actions.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// How the broker was asked to run.
public struct BrokerOptions: Sendable {
    /// The initial program; empty runs none (the broker waits for `fluxs shutdown`).
    public var initialProgram: [String] = []
    /// True when the initial program is an interactive shell on our terminal.
    public var interactive = false
    /// Makes options.
    public init(initialProgram: [String] = [], interactive: Bool = false) {
        self.initialProgram = initialProgram
        self.interactive = interactive
    }
}

extension Broker {
    /// Sets up the rundir, the local socket, signals, the overlay (through `bootstrap`)
    /// and modules, then (on rank 0, once every rank has joined) starts the initial
    /// program. Throws when the broker cannot start at all.
    public func start(_ options: BrokerOptions, bootstrap: any Bootstrap = SingletonBootstrap()) throws(ServiceError) {
        let rundir = try prepareRundir()
        do {
            try start(options, bootstrap: bootstrap, rundir: rundir)
        } catch {
            clients.listener?.close()
            overlay?.close()
            if life.createdRundir { Descriptors.removeTree(rundir) }
            throw error
        }
    }

    private func start(_ options: BrokerOptions, bootstrap: any Bootstrap, rundir: String) throws(ServiceError) {
        let uri = "local://\(rundir)/local"
        attributes.setByBroker("rundir", rundir)
        attributes.setByBroker("local-uri", uri)
        attributes.setByBroker("rank", String(rank))
        attributes.setByBroker("size", String(bootstrap.size))
        attributes.setByBroker("version", FluxsVersion.string)
        attributes.setByBroker("broker.pid", String(getpid()))
        attributes.setByBroker("broker.starttime", String(startTime))
        attributes.setByBroker("hostname", Self.hostname())
        if attributes["instance-level"] == nil { attributes.setByBroker("instance-level", "0") }
        if attributes["log-ring-size"] == nil { attributes.setByBroker("log-ring-size", "1024") }
        if attributes["log-stderr-level"] == nil { attributes.setByBroker("log-stderr-level", "3") }

        if let statedir = attributes["statedir"] { try Self.ensureDirectory(statedir, what: "statedir") }
        let listener = try LocalListener(broker: self, path: "\(rundir)/local")
        clients.listener = listener
        do {
            try listener.start()
            if allowGuests {
                // Guests must reach the socket; the broker tells them apart by SO_PEERCRED.
                // (A rundir given with -S is left as its owner made it.)
                if life.createdRundir { _ = chmod(rundir, 0o755) }
                _ = chmod("\(rundir)/local", 0o777)
            }
            for signo in [SIGTERM, SIGHUP] + (options.interactive ? [] : [SIGINT]) {
                try reactor.onSignal(signo) { [unowned self] in self.lifecycleEvent(.signalReceived(signo)) }
            }
            if options.interactive { signal(SIGINT, SIG_IGN) }
            signal(SIGPIPE, SIG_IGN)
        } catch {
            throw ServiceError(error.errnum, error.description)
        }
        try startOverlay(bootstrap, rundir: rundir)
        try loadDefaultModules()
        log(.info, "broker started: rank \(rank) of \(bootstrap.size), rundir \(rundir)")
        life.pendingProgram = options
        let begin = { [unowned self] in
            self.onStarted?()
            self.lifecycleEvent(.started(hasInitialProgram: self.rank == 0 && !options.initialProgram.isEmpty))
        }
        if rank == 0 && bootstrap.size > 1 {
            awaitQuorum(size: bootstrap.size, then: begin)
        } else {
            begin()
            overlay?.rpc(.overlay.join, ["rank": .int(Int64(rank))], nodeid: .rank(0)) { _ in }
        }
    }

    /// Joins the tree: binds the socket for children, swaps business cards through the
    /// bootstrap, connects to the parent. Nothing to do for a lone broker.
    private func startOverlay(_ bootstrap: any Bootstrap, rundir: String) throws(ServiceError) {
        guard bootstrap.size > 1 else { return }
        let topology = try Topology(size: bootstrap.size, spec: attributes["tbon.topo"] ?? "kary:32")
        let overlay = try Overlay(broker: self, topology: topology, rank: rank)
        self.overlay = overlay
        attach(overlay)
        if let parent = overlay.parentPeer { attach(parent) }
        for peer in overlay.peers.values { attach(peer) }
        let template = (attributes["tbon.endpoint"] ?? Self.defaultEndpoint()).replacing("{rundir}", with: rundir)
        // A shared certificate, or keys of this broker's own when the cards can carry them.
        let ownKeys = curve == nil && bootstrap.exchangesKeys && attributes["tbon.curve"] != "off"
        overlay.curveKeys = ownKeys ? CurveKeys(own: try CurveKeys.newCertificate(name: "rank \(rank)")) : curve.map { CurveKeys(shared: $0) }
        let uri = try overlay.bind(template)
        let parent = topology.parent(of: rank)
        // Healing needs the ancestors' cards, and (own keys) the grandchildren's keys.
        overlay.heal = attributes["tbon.heal"] != "off"
        let healTargets = overlay.heal ? Overlay.healTargets(of: rank, in: topology, sharedKeys: !ownKeys) : []
        let children = ownKeys ? topology.children(of: rank) : []
        let grandchildren = ownKeys && overlay.heal ? Overlay.grandchildren(of: rank, in: topology) : []
        let card = ownKeys ? OverlayCard(uri: uri, publicKey: overlay.curveKeys?.own.publicKey).text : uri
        let cards = try bootstrap.exchange(card: card, wanting: (parent.map { [$0] } ?? []) + children + grandchildren + healTargets)
        let parentCard = parent.flatMap { cards[$0] }.map { OverlayCard(parsing: $0) }
        if let parent, parentCard?.uri.isEmpty ?? true {
            throw ServiceError(EPROTO, "bootstrap gave no endpoint for the parent (rank \(parent))")
        }
        if ownKeys {
            for peer in (parent.map { [$0] } ?? []) + children where cards[peer].flatMap({ OverlayCard(parsing: $0).publicKey }) == nil {
                throw ServiceError(EPROTO, "bootstrap gave no CURVE key for rank \(peer) (tbon.curve=off on some brokers?)")
            }
            overlay.curveKeys?.parent = parentCard?.publicKey ?? ""
            overlay.curveKeys?.children = Set((children + grandchildren).compactMap { cards[$0].flatMap { OverlayCard(parsing: $0).publicKey } }.map(CurveKeys.decode))
        }
        for target in healTargets { overlay.ancestorCards[target] = cards[target].map { OverlayCard(parsing: $0) } }
        overlay.health.healTargets = healTargets.filter { overlay.ancestorCards[$0]?.uri.isEmpty == false }
        try overlay.start(parentEndpoint: parentCard?.uri)
        attributes.setByBroker("tbon.curve", overlay.curveKeys == nil ? "off" : "on")
        attributes.setByBroker("tbon.heal", overlay.heal ? "on" : "off")
        if let parent { attributes.setByBroker("tbon.parent-rank", String(parent)) }
        attributes.setByBroker("tbon.topo", attributes["tbon.topo"] ?? "kary:32")
        attributes.setByBroker("tbon.level", String(topology.level(of: rank)))
        attributes.setByBroker("tbon.maxlevel", String(topology.maxLevel))
        attributes.setByBroker("tbon.descendants", String(topology.descendantCount(of: rank)))
        attributes.setByBroker("tbon.endpoint", overlay.endpoint)
        if !overlay.parentEndpoint.isEmpty { attributes.setByBroker("tbon.parent-endpoint", overlay.parentEndpoint) }
    }

    /// Rank 0 starts the initial program once every rank has joined (or, after
    /// `broker.quorum-timeout`, with what it has, saying so).
    private func awaitQuorum(size: UInt32, then begin: @escaping () -> Void) {
        var started = false
        let go = { [unowned self] in
            guard !started else { return }
            started = true
            self.life.quorumReached = nil
            begin()
        }
        life.quorumReached = go
        let limit = (try? FluxDuration.parse(attributes["broker.quorum-timeout"] ?? "60")) ?? 60
        reactor.after(limit) { [unowned self] in
            guard !started else { return }
            let missing = IDSet(1..<size).subtracting(IDSet(self.life.joinedRanks))
            self.log(.err, "quorum not reached after \(FluxDuration.format(limit)): ranks \(missing) did not join; starting anyway")
            go()
        }
    }

    /// A rank announced itself to rank 0.
    func rankJoined(_ joined: UInt32) {
        life.joinedRanks.insert(joined)
        if let size = attributes["size"].flatMap(UInt32.init), life.joinedRanks.count >= Int(size) - 1 {
            log(.info, "quorum reached: all \(size) ranks are online")
            life.quorumReached?()
        }
    }

    /// The parent went silent: shut this subtree down and exit non-zero.
    func parentLost(_ reason: String) {
        guard life.exitCodeOverride == nil else { return }
        log(.err, reason)
        life.exitCodeOverride = 1
        beginShutdown(reason: reason)
    }

    /// The overlay URI used when tbon.endpoint is not set: TCP on this host's address.
    static func defaultEndpoint() -> String {
        "tcp://\(hostAddress()):*"
    }

    /// Asks the broker to shut down (as `fluxs shutdown` does).
    public func beginShutdown(reason: String) {
        log(.notice, "shutdown: \(reason)")
        lifecycleEvent(.shutdownRequested)
    }

    func lifecycleEvent(_ event: BrokerLifecycle.Event) {
        for action in life.machine.on(event) { perform(action) }
    }

    private func perform(_ action: BrokerLifecycle.Action) {
        switch action {
        case .startInitialProgram:
            startInitialProgram()
        case .terminateInitialProgram:
            life.initialProgram?.signal(SIGTERM)
        case .forwardSignal(let signo):
            life.initialProgram?.signal(signo)
        case .killInitialProgram:
            life.initialProgram?.signal(SIGKILL)
        case .armGraceTimer:
            let grace = (try? FluxDuration.parse(attributes["broker.rc2-grace"] ?? "5")) ?? 5
            reactor.after(grace) { [weak self] in self?.lifecycleEvent(.graceExpired) }
        case .finish(let code):
            finish(exitCode: code)
        }
    }

    private func startInitialProgram() {
        guard let options = life.pendingProgram else { return }
        do {
            let program = try InitialProgram.spawn(
                options.initialProgram,
                environment: ["FLUXS_URI": attributes["local-uri"] ?? "", "PATH": ProcessEnvironment.pathWithOwnDirectoryFirst()],
                interactive: options.interactive)
            life.initialProgram = program
            try reactor.onChildExit(program.pid) { [unowned self] waitStatus in
                let status = ExitStatus(waitStatus: waitStatus)
                if case .signaled(let signo) = status { self.log(.info, "initial program killed by signal \(signo)") }
                let signal: Int32? = if case .signaled(let s) = status { s } else { nil }
                self.lifecycleEvent(.initialProgramExited(code: status.shellCode, signal: signal))
            }
        } catch let error as ServiceError {
            log(.err, error.message)
            lifecycleEvent(.initialProgramExited(code: error.errnum == ENOENT ? 127 : 126, signal: nil))
        } catch {
            log(.err, "\(error)")
            lifecycleEvent(.initialProgramExited(code: 126, signal: nil))
        }
    }

    private func finish(exitCode: Int32) {
        if let overlay {
            overlay.shutdown { [unowned self] in self.complete(exitCode: exitCode) }
        } else {
            complete(exitCode: exitCode)
        }
    }

    private func complete(exitCode: Int32) {
        removeAllModules()
        for endpoint in routes.endpoints.values {
            if let client = endpoint as? ClientConnection { client.close() }
        }
        routes.endpoints.removeAll()
        clients.listener?.close()
        // Closed but kept: this may run inside one of the overlay's own handlers.
        overlay?.close()
        if life.createdRundir, let rundir = attributes["rundir"] { Descriptors.removeTree(rundir) }
        reactor.stop()
        onExit?(life.exitCodeOverride ?? exitCode)
    }

    private func prepareRundir() throws(ServiceError) -> String {
        if var dir = attributes["rundir"] {
            if !dir.hasPrefix("/") {
                var buf = [CChar](repeating: 0, count: 4096)
                if getcwd(&buf, buf.count) != nil {
                    dir = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + dir
                }
            }
            var st = stat()
            if stat(dir, &st) != 0 {
                guard mkdir(dir, 0o700) == 0 else { throw ServiceError(errno, "rundir \(dir): \(ServiceError.text(of: errno))") }
                life.createdRundir = true
            } else if (st.st_mode & S_IFMT) != S_IFDIR {
                throw ServiceError(ENOTDIR, "rundir \(dir) is not a directory")
            }
            return dir
        }
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/fluxs-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ServiceError(errno, "cannot make a rundir under \(base): \(ServiceError.text(of: errno))")
        }
        life.createdRundir = true
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes `path` (one level) when it is missing; an error names `what` otherwise.
    static func ensureDirectory(_ path: String, what: String) throws(ServiceError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw ServiceError(ENOTDIR, "\(what) \(path) is not a directory") }
            return
        }
        // Another broker of the same instance may make it at the same moment.
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw ServiceError(errno, "\(what) \(path): \(ServiceError.text(of: errno))")
        }
    }

    /// This host's first IPv4 address that is not loopback, else 127.0.0.1.
    static func hostAddress() -> String {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(hostname(), nil, &hints, &result) == 0, let first = result else { return "127.0.0.1" }
        defer { freeaddrinfo(first) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let ai = node {
            var text = [CChar](repeating: 0, count: 64)
            ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                _ = inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
            }
            let ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !ip.hasPrefix("127.") { return ip }
            node = ai.pointee.ai_next
        }
        return "127.0.0.1"
    }

    static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
