// job-exec's side of the shell zygote (fluxs-shell --zygote, man fluxs-shell(1)): started
// on this rank for the first of the instance owner's jobs, it forks each shell, so a
// shell costs a fork instead of an exec. Each fork request carries a sequence number,
// which the answer (the pid) repeats; the call waits for that answer, as posix_spawn
// waits for the exec. A shell's end comes later as a message and goes to the handler
// given for its pid (put off to the loop when it comes during a launch).
// Anything amiss (no answer within 5 seconds, the socket gone, an answer out of order)
// ends the zygote: the launch that met it uses the pid if the answer came after all,
// else spawns its shell; the shells it had forked are watched through pidfds and end
// with status 255 (theirs went with it); the next launch starts a new zygote.
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
    /// False once the zygote is gone (or being stopped).
    private(set) var alive = true
    /// True once the zygote process was reaped (by the reactor or by `stop`).
    private var reaped = false
    private var sequence: UInt32 = 0
    /// True inside `fork`, where other shells' ends are put off to the loop.
    private var launching = false
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
        try? reactor.onChildExit(pid) { [weak self] _ in
            self?.reaped = true
            self?.died()
        }
    }

    /// Forks a shell with `stderrFD` on its descriptor 2 and `inputFD` on 3; its pid. On
    /// any failure the zygote is ended; when the shell was forked all the same (its
    /// answer came late), its pid is still returned, else the error (the caller spawns
    /// the shell itself: no forked shell read the input, see the zygote's go-ahead).
    func fork(stderrFD: Int32, inputFD: Int32) throws(ServiceError) -> pid_t {
        guard alive else { throw ServiceError(ESRCH, "the shell zygote is gone") }
        sequence &+= 1
        launching = true
        defer { launching = false }
        var request = sequence.littleEndian
        let sent = withUnsafeBytes(of: &request) { fluxs_send_fds(socket, $0.baseAddress, $0.count, [stderrFD, inputFD], 2) }
        guard sent == MemoryLayout<UInt32>.size else {
            let error = ServiceError(errno, "cannot reach the shell zygote: \(ServiceError.text(of: errno))")
            died()
            throw error
        }
        // The answer comes right after the fork; ends of other shells may come first.
        let deadline = Reactor.now() + 5
        while true {
            var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(0, (deadline - Reactor.now()) * 1000))
            let polled = poll(&ready, 1, left)
            if polled < 0 && errno == EINTR { continue }
            let message: JSONValue?
            do throws(ServiceError) {
                guard polled > 0 else { throw ServiceError(ETIMEDOUT, "the shell zygote did not answer in 5 s") }
                message = try receive()
            } catch where error.errnum == EAGAIN {
                continue
            } catch {
                if let pid = died(answering: sequence) { return pid }
                throw error
            }
            guard let message else {
                if let pid = died(answering: sequence) { return pid }
                throw ServiceError(ECONNRESET, "the shell zygote is gone")
            }
            guard message["seq"] != nil else {
                take(message)
                continue
            }
            if let pid = answer(message, to: sequence) { return pid }
            if message["seq"]?.intValue == Int64(sequence), let failure = message["errno"]?.intValue {
                throw ServiceError(Int32(failure), "the shell zygote cannot fork: \(ServiceError.text(of: Int32(failure)))")
            }
            died()
            throw ServiceError(EPROTO, "the shell zygote answered out of order")
        }
    }

    /// The pid in `message` when it answers request `sequence` with one.
    private func answer(_ message: JSONValue, to sequence: UInt32) -> pid_t? {
        guard message["seq"]?.intValue == Int64(sequence), let pid = message["pid"]?.intValue else { return nil }
        return pid_t(pid)
    }

    /// Runs `handler` with the wait status of shell `pid` when it ends.
    func onExit(_ pid: pid_t, _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        if let status = early.removeValue(forKey: pid) {
            _ = reactor.after(0) { handler(status) }
            return
        }
        guard alive else { return try watchOrphan(pid, handler) }
        handlers[pid] = handler
    }

    /// Stops the zygote and reaps it (its shells are job-exec's to end).
    func stop() {
        alive = false
        watcher?.cancel()
        watcher = nil
        if socket >= 0 { close(socket) }
        socket = -1
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)  // at once after SIGKILL; the broker may be exiting
            reaped = true
        }
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

    /// Takes every message waiting; false when the zygote is gone.
    @discardableResult
    private func readMessages() -> Bool {
        while socket >= 0 {
            do throws(ServiceError) {
                guard let message = try receive() else {
                    died()
                    return false
                }
                take(message)
            } catch {
                if error.errnum != EAGAIN { died() }
                return error.errnum == EAGAIN
            }
        }
        return false
    }

    /// A shell's end: its handler runs now, or from the loop when this is inside a
    /// launch (`fork`).
    private func take(_ message: JSONValue) {
        guard let pid = message["exited"]?.intValue.map({ pid_t($0) }), let status = message["status"]?.intValue else { return }
        let code = Int32(truncatingIfNeeded: status)
        guard let handler = handlers.removeValue(forKey: pid) else {
            early[pid] = code
            return
        }
        if launching { _ = reactor.after(0) { handler(code) } } else { handler(code) }
    }

    /// The zygote is gone, or is ended: it is killed and reaped, what it reported is
    /// taken (the pid answering request `sequence`, if there is one, is returned), and
    /// its other shells are watched one by one.
    @discardableResult
    private func died(answering sequence: UInt32? = nil) -> pid_t? {
        guard alive else { return nil }
        alive = false
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            reaped = true
        }
        var answered: pid_t?
        while socket >= 0 {
            // What it sent before it died is still in the socket.
            guard let message = try? receive() else { break }
            if let sequence, let pid = answer(message, to: sequence) { answered = pid } else { take(message) }
        }
        stop()
        early.removeAll()
        let orphans = handlers
        handlers.removeAll()
        for (pid, handler) in orphans { try? watchOrphan(pid, handler) }
        return answered
    }

    /// Watches a shell that is not our child: when it ends, what is left of its process
    /// group is killed (the zygote would have) and its status is 255 (exit code lost).
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
                killpg(pid, SIGKILL)
                handler(0xff00)
            }
        } catch {
            close(pidfd)
            throw error
        }
    }
}
