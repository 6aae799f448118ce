// The exec module: runs commands on the broker's node for `fluxs exec` (an
// administrative and test tool, not a way to run jobs). It loads on every rank; a
// request addressed to rank R runs its command on R, with FLUXS_URI set to that
// broker's local socket.
//
//   exec.spawn (streaming) {"cmd": [ARGV], "env": {NAME: VALUE}?, "cwd": DIR?, "stdin": BOOL?}
//       -> {"event": "started", "pid": P, "rank": R}
//          {"event": "output", "stream": "stdout"|"stderr", "data": TEXT | "data64": BASE64}...
//          {"event": "exit", "status": CODE (128+N for signal N), "signal": N?}
//          then ENODATA. A command that cannot start: one error (ENOENT, EACCES, ...).
//   exec.write {"pid": P, "data": TEXT | "data64": BASE64, "eof": BOOL?} -> {}
//   exec.kill {"pid": P, "signal": N} -> {}       (to the process group of P)
//   exec.list -> {"rank": R, "procs": [{"pid", "cmd", "userid", "sender", "state", "runtime"}]}
//   exec.disconnect (no response): kills what the sender started (sent for a client that
//       went away, by brokers that send disconnect notices).
//
// A command runs in a process group of its own; the environment is the broker's, with
// the broker's directory first on PATH, FLUXS_URI set, and the request's "env" over it.
// Removing the module (or shutting the broker down) kills every group it started and
// answers their streams with an error.
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
import FluxsReactor

/// Remote execution: runs commands on this broker's node and streams their output.
public final class ExecModule: BrokerModule {
    public static let name = "exec"
    public static let services = ["exec"]
    public static func loadsByDefault(rank: UInt32) -> Bool { true }

    private let context: ModuleContext
    private var processes: [pid_t: ExecProcess] = [:]
    private var started = 0
    private var failed = 0

    public init(context: ModuleContext) { self.context = context }

    public func start() throws(ServiceError) {}

    public func stop() {
        let all = processes.values.sorted { $0.pid < $1.pid }
        processes.removeAll()
        for process in all {
            process.killAndRelease()
            context.respond(to: process.request, error: ServiceError(
                ECONNRESET, "rank \(context.rank): the exec module stopped; \(process.argv[0]) (pid \(process.pid)) was killed"))
        }
        if !all.isEmpty { context.log(.info, "stopped: killed \(all.count) process group(s)") }
    }

    public var handlers: [ServiceHandler] {
        [
            ServiceHandler(.exec.spawn) { [unowned self] in try self.spawn($0, $1) },
            ServiceHandler(.exec.write) { [unowned self] in try self.write($0, $1) },
            ServiceHandler(.exec.kill) { [unowned self] in self.context.respond(to: $0, try self.killProcess($0, $1)) },
            ServiceHandler(.exec.list) { [unowned self] request, _ in self.context.respond(to: request, self.list()) },
            ServiceHandler(.exec.disconnect) { [unowned self] request, _ in self.disconnect(request) },
        ]
    }

    public func stats() -> [String: JSONValue] {
        ["started": .int(Int64(started)), "running": .int(Int64(processes.count)), "failed": .int(Int64(failed))]
    }

    // MARK: - exec.spawn

    private func spawn(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "exec.spawn is a streaming request") }
        let spec = try spawnSpec(body)
        let spawned: SpawnedProcess
        do {
            spawned = try Spawner.spawn(spec, rank: context.rank)
        } catch {
            failed += 1
            throw error
        }
        let process = ExecProcess(
            spawned, argv: spec.argv, request: request, reactor: context.reactor,
            send: { [weak self] body in self?.context.respond(to: request, body) },
            respondToWrite: { [weak self] write, error in
                guard let self else { return }
                if let error { self.context.respond(to: write, error: error) } else { self.context.respond(to: write) }
            })
        process.onFinished = { [weak self] process in
            guard let self else { return }
            self.processes[process.pid] = nil
            self.context.respond(to: process.request, error: ServiceError(ENODATA, ""))
        }
        do {
            try process.start()
        } catch {
            failed += 1
            throw ServiceError(error.errnum, "rank \(context.rank): \(spec.argv[0]): \(error.description)")
        }
        started += 1
        processes[spawned.pid] = process
        context.respond(to: request, ["event": "started", "pid": .int(Int64(spawned.pid)), "rank": .int(Int64(context.rank))])
    }

    /// Checks an exec.spawn payload and builds the command's environment.
    private func spawnSpec(_ body: JSONValue) throws(ServiceError) -> SpawnSpec {
        guard let words = body["cmd"]?.arrayValue else { throw ServiceError(EPROTO, "exec.spawn needs \"cmd\", an array of strings") }
        let argv = words.compactMap(\.stringValue)
        guard argv.count == words.count, !argv.isEmpty else {
            throw ServiceError(EPROTO, "\"cmd\" must be a non-empty array of strings")
        }
        var environment = ProcessEnvironment.current
        environment["PATH"] = ProcessEnvironment.pathWithOwnDirectoryFirst(environment["PATH"])
        environment["FLUXS_URI"] = context.attribute("local-uri") ?? ""
        if let extra = body["env"], !extra.isNull {
            guard let members = extra.objectValue else { throw ServiceError(EPROTO, "\"env\" must be an object of strings") }
            for (name, value) in members {
                guard let text = value.stringValue, !name.isEmpty, !name.contains("=") else {
                    throw ServiceError(EPROTO, "\"env\": \(name) must be a variable name with a string value")
                }
                environment[name] = text
            }
        }
        var cwd: String?
        if let dir = body["cwd"], !dir.isNull {
            guard let text = dir.stringValue, !text.isEmpty else { throw ServiceError(EPROTO, "\"cwd\" must be a non-empty string") }
            cwd = text
        }
        var stdin = false
        if let flag = body["stdin"], !flag.isNull {
            guard let value = flag.boolValue else { throw ServiceError(EPROTO, "\"stdin\" must be true or false") }
            stdin = value
        }
        return SpawnSpec(argv: argv, environment: environment, cwd: cwd, stdin: stdin)
    }

    // MARK: - exec.write, exec.kill, exec.list, exec.disconnect

    private func write(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let process = try target(body, request)
        guard process.hasStdin else {
            throw ServiceError(EINVAL, "process \(process.pid) on rank \(context.rank) was started without a stdin pipe")
        }
        var bytes: [UInt8] = []
        if let text = body["data"]?.stringValue {
            bytes = Array(text.utf8)
        } else if let encoded = body["data64"]?.stringValue {
            guard let data = Data(base64Encoded: encoded) else { throw ServiceError(EPROTO, "\"data64\" is not base64") }
            bytes = Array(data)
        } else if body["data"] != nil || body["data64"] != nil {
            throw ServiceError(EPROTO, "\"data\" must be a string")
        }
        var eof = false
        if let flag = body["eof"], !flag.isNull {
            guard let value = flag.boolValue else { throw ServiceError(EPROTO, "\"eof\" must be true or false") }
            eof = value
        }
        process.write(bytes, eof: eof, request: request)
    }

    private func killProcess(_ request: Message, _ body: JSONValue) throws(ServiceError) -> JSONValue {
        let process = try target(body, request)
        guard let signo = try body.integer("signal", as: Int32.self), (0...64).contains(signo) else {
            throw ServiceError(EPROTO, "\"signal\" must be a signal number from 0 to 64")
        }
        if kill(-process.pid, signo) != 0 {
            let e = errno
            // The group may be gone while the pipes are not yet at end of file.
            if e != ESRCH { throw ServiceError(e, "kill \(process.pid): \(ServiceError.text(of: e))") }
        }
        return [:]
    }

    private func list() -> JSONValue {
        let now = Reactor.now()
        let procs: [JSONValue] = processes.values.sorted { $0.pid < $1.pid }.map { p in
            [
                "pid": .int(Int64(p.pid)), "cmd": .array(p.argv.map { .string($0) }),
                "userid": .int(Int64(p.request.userid)), "sender": .string(p.request.route.joined(separator: "!")),
                "state": .string(p.exitStatus == nil ? "running" : "exited"), "runtime": .double(now - p.startTime),
            ]
        }
        return ["rank": .int(Int64(context.rank)), "procs": .array(procs)]
    }

    /// Kills what the sender of this notice started.
    private func disconnect(_ request: Message) {
        for process in processes.values where process.request.route == request.route {
            kill(-process.pid, SIGKILL)
        }
    }

    /// The process an exec.write or exec.kill names; the owner, or whoever started it, may touch it.
    private func target(_ body: JSONValue, _ request: Message) throws(ServiceError) -> ExecProcess {
        let pid = try body.requiredInteger("pid", as: pid_t.self)
        guard let process = processes[pid] else {
            throw ServiceError(ENOENT, "no process \(pid) under exec on rank \(context.rank)")
        }
        guard request.rolemask.contains(.owner) || request.userid == process.request.userid else {
            throw ServiceError(EPERM, "process \(pid) on rank \(context.rank) belongs to another user")
        }
        return process
    }

}
