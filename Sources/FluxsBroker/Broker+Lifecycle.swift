// Start-up and shutdown: the rundir and its socket, attributes, signals, modules and
// the initial program, driven by BrokerLifecycle's actions.
import FluxsFormats
import FluxsMessage
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
    /// Sets up the rundir, the local socket, signals and modules, then starts the
    /// initial program. Throws when the broker cannot start at all.
    public func start(_ options: BrokerOptions) throws(ServiceError) {
        let rundir = try prepareRundir()
        let uri = "local://\(rundir)/local"
        attributes.setByBroker("rundir", rundir)
        attributes.setByBroker("local-uri", uri)
        attributes.setByBroker("rank", String(rank))
        if attributes["size"] == nil { attributes.setByBroker("size", "1") }
        attributes.setByBroker("version", FluxsVersion.string)
        attributes.setByBroker("broker.pid", String(getpid()))
        attributes.setByBroker("broker.starttime", String(startTime))
        attributes.setByBroker("hostname", Self.hostname())
        if attributes["instance-level"] == nil { attributes.setByBroker("instance-level", "0") }
        if attributes["log-ring-size"] == nil { attributes.setByBroker("log-ring-size", "1024") }
        if attributes["log-stderr-level"] == nil { attributes.setByBroker("log-stderr-level", "3") }

        let listener = try LocalListener(broker: self, path: "\(rundir)/local")
        self.listener = listener
        do {
            try listener.start()
            for signo in [SIGTERM, SIGHUP] + (options.interactive ? [] : [SIGINT]) {
                try reactor.onSignal(signo) { [unowned self] in self.lifecycleEvent(.signalReceived(signo)) }
            }
            if options.interactive { signal(SIGINT, SIG_IGN) }
            signal(SIGPIPE, SIG_IGN)
        } catch {
            throw ServiceError(error.errnum, error.description)
        }
        loadDefaultModules()
        log(.info, "broker started: rank \(rank), rundir \(rundir)")
        pendingProgram = options
        lifecycleEvent(.started(hasInitialProgram: !options.initialProgram.isEmpty))
    }

    /// Asks the broker to shut down (as `fluxs shutdown` does).
    public func beginShutdown(reason: String) {
        log(.notice, "shutdown: \(reason)")
        lifecycleEvent(.shutdownRequested)
    }

    func lifecycleEvent(_ event: BrokerLifecycle.Event) {
        for action in lifecycle.on(event) { perform(action) }
    }

    private func perform(_ action: BrokerLifecycle.Action) {
        switch action {
        case .startInitialProgram:
            startInitialProgram()
        case .terminateInitialProgram:
            initialProgram?.signal(SIGTERM)
        case .forwardSignal(let signo):
            initialProgram?.signal(signo)
        case .killInitialProgram:
            initialProgram?.signal(SIGKILL)
        case .armGraceTimer:
            let grace = Double(attributes["broker.rc2-grace"] ?? "") ?? 5
            reactor.after(grace) { [weak self] in self?.lifecycleEvent(.graceExpired) }
        case .finish(let code):
            finish(exitCode: code)
        }
    }

    private func startInitialProgram() {
        guard let options = pendingProgram else { return }
        do {
            let program = try InitialProgram.spawn(
                options.initialProgram,
                environment: ["FLUXS_URI": attributes["local-uri"] ?? "", "PATH": Self.pathWithOwnDirectory()],
                interactive: options.interactive)
            initialProgram = program
            try reactor.onChildExit(program.pid) { [unowned self] status in
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
        removeAllModules()
        for endpoint in endpoints.values {
            if let client = endpoint as? ClientConnection { client.close() }
        }
        endpoints.removeAll()
        listener?.close()
        if createdRundir, let rundir = attributes["rundir"] { removeTree(rundir) }
        reactor.stop()
        onExit?(exitCode)
    }

    private func prepareRundir() throws(ServiceError) -> String {
        if let dir = attributes["rundir"] {
            var st = stat()
            if stat(dir, &st) != 0 {
                guard mkdir(dir, 0o700) == 0 else { throw ServiceError(errno, "rundir \(dir): \(ServiceError.text(of: errno))") }
                createdRundir = true
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
        createdRundir = true
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func removeTree(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                let child = "\(path)/\(name)"
                var st = stat()
                if lstat(child, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    /// PATH with the broker's own directory first, so that the `fluxs` inside the
    /// instance is the one installed beside this broker.
    static func pathWithOwnDirectory() -> String {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return path }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return path }
        let dir = String(exe[..<slash])
        if path.split(separator: ":").first.map(String.init) == dir { return path }
        return dir + ":" + path
    }

    static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
