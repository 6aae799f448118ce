// `fluxs start --test-size=N`: N brokers on this machine, as one instance. This
// process is their process manager: it serves PMI-1 to them over socketpairs (they
// exchange business cards through it), forwards SIGINT, SIGTERM and SIGHUP to rank 0,
// and exits with rank 0's exit status once every broker has gone. Rank 0 runs the
// initial program; the overlay uses ipc:// sockets in each broker's rundir. If rank 0
// dies, the others notice (tbon.timeout) and exit; any still running 30 s later are
// killed.
import CFluxsSupport
import FluxsFormats
import FluxsMessage
import FluxsPMI
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Launches and supervises the brokers of a test instance.
struct TestInstance {
    let size: Int
    /// Options for every broker (--config-path, those of -o), before the settings.
    let options: [String]
    let settings: [String]
    let command: [String]
    let broker: String

    /// Runs the instance to its end; returns the exit status for `fluxs start`.
    func run() throws(CommandFailure) -> Int32 {
        do { return try supervise() } catch { throw CommandFailure(error.message) }
    }

    private func supervise() throws(ServiceError) -> Int32 {
        if settings.contains(where: { $0.hasPrefix("rundir=") }) {
            throw ServiceError(EINVAL, "-Srundir cannot be used with --test-size: each broker makes its own rundir")
        }
        // Our stderr may be a pipe that closes early: the brokers must not lose their supervisor.
        signal(SIGPIPE, SIG_IGN)
        let pmi = try PMISocketServer(size: size)
        let signals = try SignalFD([SIGINT, SIGTERM, SIGHUP])
        var pids: [pid_t] = []
        for rank in 0..<size { pids.append(try spawn(rank: rank, pmi: pmi)) }
        pmi.closeChildEnds()
        let pidfds = pids.map { fluxs_pidfd_open($0) }
        let timer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC))
        var running = Set(pids.indices)
        var rank0Status: Int32 = 0
        var aborted: Int32?
        defer { (pidfds + [timer]).forEach { close($0) } }

        func killAll() { for rank in running { kill(pids[rank], SIGKILL) } }

        while !running.isEmpty {
            let sockets = pmi.serverFDs.indices.filter { pmi.serverFDs[$0] >= 0 }
            let live = running.sorted()
            var pfds = (sockets.map { pmi.serverFDs[$0] } + live.map { pidfds[$0] } + [signals.fd, timer])
                .map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&pfds, nfds_t(pfds.count), -1) < 0 {
                if errno == EINTR { continue }
                throw ServiceError(errno, "poll: \(ServiceError.text(of: errno))")
            }
            for (i, index) in sockets.enumerated() where pfds[i].revents != 0 {
                for event in pmi.handle(readableIndex: index) {
                    switch event {
                    case .abort(let rank, let code, let message):
                        writeStderr("fluxs-start: error: rank \(rank) aborted\(message.map { ": \($0)" } ?? "")\n")
                        aborted = Int32(truncatingIfNeeded: code == 0 ? 1 : code)
                        killAll()
                    case .connectionLost(_, let rank?) where !pmi.server.finalizedRanks.contains(rank):
                        // A broker gone before it finished bootstrapping: the rest would wait in vain.
                        writeStderr("fluxs-start: error: rank \(rank) exited during bootstrap\n")
                        aborted = 1
                        killAll()
                    default:
                        break
                    }
                }
            }
            for (i, rank) in live.enumerated() where pfds[sockets.count + i].revents != 0 {
                var status: Int32 = 0
                waitpid(pids[rank], &status, 0)
                running.remove(rank)
                let code = fluxs_wifsignaled(status) != 0 ? 128 + fluxs_wtermsig(status) : fluxs_wexitstatus(status)
                if rank == 0 {
                    rank0Status = code
                    var later = itimerspec(it_interval: timespec(), it_value: timespec(tv_sec: 30, tv_nsec: 0))
                    timerfd_settime(timer, 0, &later, nil)
                } else if code != 0 {
                    writeStderr("fluxs-start: rank \(rank) exited with status \(code)\n")
                }
            }
            if pfds[pfds.count - 2].revents != 0 {
                let signo = signals.read()
                if running.contains(0) { kill(pids[0], signo) }
            }
            if pfds[pfds.count - 1].revents != 0 {
                var expirations: UInt64 = 0
                _ = read(timer, &expirations, 8)
                writeStderr("fluxs-start: error: ranks \(IDSet(running.map { UInt32($0) })) did not exit after rank 0; killing them\n")
                killAll()
            }
        }
        return aborted ?? rank0Status
    }

    private func spawn(rank: Int, pmi: PMISocketServer) throws(ServiceError) -> pid_t {
        var argv = [broker] + options
        if !settings.contains(where: { $0.hasPrefix("tbon.endpoint=") }) { argv += ["-S", "tbon.endpoint=ipc://{rundir}/tbon"] }
        for setting in settings { argv += ["-S", setting] }
        argv.append("--")
        if rank == 0 { argv += command }
        var request = SpawnRequest(argv: argv, environment: ProcessEnvironment.current.merging(pmi.environment(rank: rank)) { $1 },
                                   executable: broker.contains("/") ? broker : nil)
        // The rank's PMI socket stays open across exec (dup2 onto itself clears close-on-exec).
        request.fileActions = [.duplicate(pmi.childFDs[rank], to: pmi.childFDs[rank])]
        if rank != 0 { request.fileActions.append(.open(0, path: "/dev/null", flags: O_RDONLY)) }
        return try ProcessSpawner.spawn(request)
    }
}

/// Signals blocked for the process and read from a signalfd instead.
private struct SignalFD {
    let fd: Int32

    init(_ signals: [Int32]) throws(ServiceError) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signo in signals { fluxs_sigset_add(&mask, signo) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        fd = signalfd(-1, &mask, Int32(SFD_CLOEXEC))
        guard fd >= 0 else { throw ServiceError(errno, "signalfd: \(ServiceError.text(of: errno))") }
    }

    func read() -> Int32 {
        var info = signalfd_siginfo()
        _ = Glibc.read(fd, &info, MemoryLayout<signalfd_siginfo>.size)
        return Int32(info.ssi_signo)
    }
}
