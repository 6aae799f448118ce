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
import FluxsReactor
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

    /// Serves PMI to the brokers and waits for them on a reactor (epoll: the cost of a
    /// wakeup does not grow with the number of brokers, as poll(2)'s did).
    private func supervise() throws(ServiceError) -> Int32 {
        if settings.contains(where: { $0.hasPrefix("rundir=") }) {
            throw ServiceError(EINVAL, "-Srundir cannot be used with --test-size: each broker makes its own rundir")
        }
        // Our stderr may be a pipe that closes early: the brokers must not lose their supervisor.
        signal(SIGPIPE, SIG_IGN)
        let reactor: Reactor
        do { reactor = try Reactor() } catch { throw ServiceError(error.errnum, error.description) }
        // Each broker costs this process a PMI socket and a pidfd, and the brokers of a
        // flat tree cost rank 0 a connection each.
        let needed = UInt64(2 * size + 64)
        let limit = Descriptors.raiseOpenFileLimit()
        if limit < needed {
            throw ServiceError(EMFILE, "--test-size=\(size) needs about \(needed) open files, and the limit is \(limit) (raise the hard limit: ulimit -Hn)")
        }
        // Each broker runs four threads (its own, two of ZeroMQ's, a module's), each a
        // task for the kernel; room is left for its jobs' processes.
        let tasks = UInt64(6 * size + 256)
        let processLimit = Descriptors.raiseProcessLimit()
        let kernelLimit = [Descriptors.kernelSetting("/proc/sys/kernel/pid_max"),
                           Descriptors.kernelSetting("/proc/sys/kernel/threads-max")].compactMap { $0 }.min() ?? .max
        if getuid() != 0, processLimit < tasks {
            throw ServiceError(EAGAIN, "--test-size=\(size) needs about \(tasks) processes and threads, and the limit is \(processLimit) (raise the hard limit: ulimit -Hu)")
        }
        if kernelLimit < tasks {
            throw ServiceError(EAGAIN, "--test-size=\(size) needs about \(tasks) processes and threads, and the system allows \(kernelLimit) (sysctl kernel.pid_max, kernel.threads-max)")
        }
        let pmi = try PMISocketServer(size: size)
        var pids: [pid_t] = []
        var running = Set<Int>()
        var rank0Status: Int32 = 0
        var aborted: Int32?
        func killAll() { for rank in running { kill(pids[rank], SIGKILL) } }
        do {
            for signo in [SIGINT, SIGTERM, SIGHUP] {
                try reactor.onSignal(signo) { if running.contains(0) { kill(pids[0], signo) } }
            }
            for rank in 0..<size { pids.append(try spawn(rank: rank, pmi: pmi)) }
            pmi.closeChildEnds()
            running = Set(pids.indices)
            for index in pmi.serverFDs.indices where pmi.serverFDs[index] >= 0 {
                var watcher: FDWatcher?
                watcher = try reactor.watch(fd: pmi.serverFDs[index]) {
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
                    // The server closed its end (the broker is gone): stop watching it now,
                    // before the number can be used again.
                    if pmi.serverFDs[index] < 0 {
                        watcher?.cancel()
                        watcher = nil
                    }
                }
            }
            for (rank, pid) in pids.enumerated() {
                try reactor.onChildExit(pid) { status in
                    running.remove(rank)
                    let code = fluxs_wifsignaled(status) != 0 ? 128 + fluxs_wtermsig(status) : fluxs_wexitstatus(status)
                    if rank == 0 {
                        rank0Status = code
                        reactor.after(30) {
                            guard !running.isEmpty else { return }
                            writeStderr("fluxs-start: error: ranks \(IDSet(running.map { UInt32($0) })) did not exit after rank 0; killing them\n")
                            killAll()
                        }
                    } else if code != 0 {
                        writeStderr("fluxs-start: rank \(rank) exited with status \(code)\n")
                    }
                }
            }
        } catch let error as SystemError {
            killAll()
            throw ServiceError(error.errnum, error.description)
        } catch let error as ServiceError {
            killAll()
            throw error
        } catch {
            killAll()
            throw ServiceError(EIO, "\(error)")
        }
        while !running.isEmpty { reactor.runOnce(blocking: true) }
        return aborted ?? rank0Status
    }

    private func spawn(rank: Int, pmi: PMISocketServer) throws(ServiceError) -> pid_t {
        var argv = [broker] + options
        if !settings.contains(where: { $0.hasPrefix("tbon.endpoint=") }) { argv += ["-S", "tbon.endpoint=ipc://{rundir}/tbon"] }
        // Thousands of brokers on one machine wait their turn on its cores, at times
        // longer than the default tbon.timeout (fluxs-start(1), TEST INSTANCES).
        if size > 1000, !settings.contains(where: { $0.hasPrefix("tbon.timeout=") }) { argv += ["-S", "tbon.timeout=\(size / 100)s"] }
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
