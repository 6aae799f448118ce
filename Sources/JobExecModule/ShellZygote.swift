// job-exec's side of the shell zygote (fluxs-shell --zygote, man fluxs-shell(1)): started
// on this rank for the first of the instance owner's jobs, it forks each shell, so a
// shell costs a fork instead of an exec. A fork request is answered at once with the
// pid (the call waits for that answer, as posix_spawn waits for the exec); the shell's
// end comes later as a message, handed to the handler given for its pid. If the zygote
// dies, the shells it forked are watched through pidfds, ending with status 255 (theirs
// is lost), and the next job starts a new zygote.
import CFluxsSupport
import FluxsFormats
import FluxsMessage
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A running zygote.
final class ShellZygote {
    let pid: pid_t
    private var socket: Int32
    private var watcher: FDWatcher?
    /// What to run when each forked shell ends (its wait status).
    private var handlers: [pid_t: (Int32) -> Void] = [:]
    /// Ends reported before their handler was given.
    private var early: [pid_t: Int32] = [:]
    /// False once the zygote is gone.
    private(set) var alive = true
    private let reactor: Reactor

    /// Starts `fluxs-shell --zygote=3` on one end of a new socket pair.
    init(reactor: Reactor) throws(ServiceError) {
        self.reactor = reactor
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw ServiceError(errno, "socketpair: \(ServiceError.text(of: errno))")
        }
        var spawn = SpawnRequest(argv: [ProcessEnvironment.besideMe("fluxs-shell"), "--zygote=3"],
                                 environment: ProcessEnvironment.current)
        spawn.executable = spawn.argv[0]
        spawn.newProcessGroup = true
        spawn.fileActions = [.open(0, path: "/dev/null", flags: O_RDONLY), .open(1, path: "/dev/null", flags: O_WRONLY),
                             .duplicate(pair[1], to: 3)]
        do {
            pid = try ProcessSpawner.spawn(spawn)
        } catch {
            close(pair[0])
            close(pair[1])
            throw error
        }
        close(pair[1])
        socket = pair[0]
        _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
        watcher = try? reactor.watch(fd: socket) { [unowned self] in self.readMessages() }
        try? reactor.onChildExit(pid) { [weak self] _ in self?.died() }
    }

    /// Forks a shell with `stderrFD` on its descriptor 2 and `inputFD` on 3; its pid.
    func fork(stderrFD: Int32, inputFD: Int32) throws(ServiceError) -> pid_t {
        guard alive else { throw ServiceError(ESRCH, "the shell zygote is gone") }
        var byte: UInt8 = 0x4c
        let fds = [stderrFD, inputFD]
        guard fluxs_send_fds(socket, &byte, 1, fds, 2) == 1 else {
            throw ServiceError(errno, "cannot reach the shell zygote: \(ServiceError.text(of: errno))")
        }
        // The answer comes right after the fork; ends of other shells may come first.
        while true {
            var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 10_000) > 0 else { throw ServiceError(ETIMEDOUT, "the shell zygote did not answer") }
            guard let message = try receive() else { throw ServiceError(ECONNRESET, "the shell zygote is gone") }
            if let pid = message["pid"]?.intValue { return pid_t(pid) }
            if let failure = message["errno"]?.intValue {
                throw ServiceError(Int32(failure), "the shell zygote cannot fork: \(ServiceError.text(of: Int32(failure)))")
            }
            take(message)
        }
    }

    /// Runs `handler` with the wait status of shell `pid` when it ends.
    func onExit(_ pid: pid_t, _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        if let status = early.removeValue(forKey: pid) { _ = reactor.after(0) { handler(status) }
            return }
        guard alive else { return try watchOrphan(pid, handler) }
        handlers[pid] = handler
    }

    /// Stops the zygote (its shells are job-exec's to end).
    func stop() {
        watcher?.cancel()
        watcher = nil
        if socket >= 0 { close(socket) }
        socket = -1
        if alive {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)  // at once after SIGKILL; the broker may be exiting
        }
        alive = false
    }

    /// One message, nil at the end of the stream; nothing waiting is EAGAIN.
    private func receive() throws(ServiceError) -> JSONValue? {
        var buffer = [UInt8](repeating: 0, count: 256)
        var fds = [Int32](repeating: -1, count: 8)
        var count: Int32 = 0
        let n = buffer.withUnsafeMutableBytes { fluxs_recv_fds(socket, $0.baseAddress, $0.count, &fds, 8, &count) }
        for fd in fds.prefix(Int(count)) { close(fd) }
        if n < 0 { throw ServiceError(errno, ServiceError.text(of: errno)) }
        if n == 0 { return nil }
        do { return try JSONValue(parsing: buffer[0..<n]) } catch { throw ServiceError(EPROTO, "the shell zygote said something unreadable") }
    }

    private func readMessages() {
        while true {
            do throws(ServiceError) {
                guard let message = try receive() else { return died() }
                take(message)
            } catch {
                if error.errnum != EAGAIN { died() }
                return
            }
        }
    }

    /// A shell's end.
    private func take(_ message: JSONValue) {
        guard let pid = message["exited"]?.intValue.map({ pid_t($0) }), let status = message["status"]?.intValue else { return }
        if let handler = handlers.removeValue(forKey: pid) { handler(Int32(truncatingIfNeeded: status)) } else {
            early[pid] = Int32(truncatingIfNeeded: status)
        }
    }

    /// The zygote is gone: its shells are watched one by one.
    private func died() {
        guard alive else { return }
        stop()  // reaps it, unless the reactor did
        let orphans = handlers
        handlers.removeAll()
        for (pid, handler) in orphans { try? watchOrphan(pid, handler) }
    }

    /// Watches a shell that is not our child: when it ends, status 255 (exit code lost).
    private func watchOrphan(_ pid: pid_t, _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        let pidfd = fluxs_pidfd_open(pid)
        guard pidfd >= 0 else {
            _ = reactor.after(0) { handler(0xff00) }
            return
        }
        var watcher: FDWatcher?
        do {
            watcher = try reactor.watch(fd: pidfd) {
                watcher?.cancel()
                watcher = nil
                close(pidfd)
                handler(0xff00)
            }
        } catch {
            close(pidfd)
            throw error
        }
    }
}
