// The shell zygote (man fluxs-shell(1), ZYGOTE): one warm fluxs-shell per broker that
// forks a shell for each of the instance owner's jobs, so a job's shell costs a fork,
// not an exec of the whole binary, the dynamic loader and the Swift runtime's start-up.
// job-exec talks to it over a SOCK_SEQPACKET socket on descriptor N:
//   job-exec -> zygote: a sequence number (4 bytes) with two descriptors: the
//                       shell's stderr (a pipe) and its input (a memory file)
//   zygote -> job-exec: {"seq": N, "pid": P} (or {"seq": N, "errno": E}) for each, and
//                       only then a go-ahead to the child, which waits for it;
//                       {"exited": P, "status": S} when a shell ends (the wait status),
//                       after the rest of its process group got SIGKILL
// The input is read by the child, never here: a job however large costs only itself.
// The forked shell is its own process group, with /dev/null on 0 and 1, the pipe on 2
// and the input on 3, as when job-exec starts one itself; from there it is the same
// shell. The zygote stays single-threaded (fork is safe) and exits when job-exec goes.
import CFluxsSupport
import FluxsFormats
import FluxsMessage
import FluxsPMI
import FluxsProcess
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The zygote's loop.
struct Zygote {
    /// The socket to job-exec.
    let socket: Int32

    func run() -> Never {
        var mask = sigset_t()
        sigemptyset(&mask)
        fluxs_sigset_add(&mask, SIGCHLD)
        sigprocmask(SIG_BLOCK, &mask, nil)
        let children = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard children >= 0 else {
            writeStderr("fluxs-shell: zygote: signalfd: \(String(cString: strerror(errno)))\n")
            exit(1)
        }
        warmUp()
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: children, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                exit(1)
            }
            if fds[1].revents != 0 { reap(children) }
            if fds[0].revents != 0 && !serveOne(children) { exit(0) }
        }
    }

    /// Takes one request and forks its shell; false when job-exec is gone.
    private func serveOne(_ children: Int32) -> Bool {
        var sequence: UInt32 = 0
        var passed = [Int32](repeating: -1, count: 8)
        var count: Int32 = 0
        let n = withUnsafeMutableBytes(of: &sequence) { fluxs_recv_fds(socket, $0.baseAddress, $0.count, &passed, 8, &count) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return true }
        guard n > 0 else { return false }
        let seq = JSONValue.int(Int64(UInt32(littleEndian: sequence)))
        guard n == MemoryLayout<UInt32>.size, count == 2 else {
            for fd in passed.prefix(Int(count)) { close(fd) }
            send(["seq": seq, "errno": .int(Int64(EPROTO))])
            return true
        }
        let (stderrFD, inputFD) = (passed[0], passed[1])
        // The child waits for a go-ahead that is written once job-exec has its pid: a
        // child whose pid never reached job-exec (this process died first) exits unseen
        // before it touches the job, and job-exec may start the job's shell itself.
        let go: [Int32]
        do throws(ServiceError) {
            let pair = try Descriptors.pipe()
            go = [pair.read, pair.write]
        } catch {
            send(["seq": seq, "errno": .int(Int64(error.errnum))])
            close(stderrFD)
            close(inputFD)
            return true
        }
        let pid = fork()
        if pid == 0 {
            close(go[1])
            var byte: UInt8 = 0
            while true {
                let n = read(go[0], &byte, 1)
                if n == 1 { break }
                if n < 0 && errno == EINTR { continue }
                _exit(1)
            }
            close(go[0])
            becomeShell(stderrFD: stderrFD, inputFD: inputFD, children: children)
        }
        let failure = errno
        close(go[0])
        close(stderrFD)
        close(inputFD)
        if pid < 0 { send(["seq": seq, "errno": .int(Int64(failure))]) } else {
            setpgid(pid, pid)  // as the child does: whoever runs first, the group exists
            if send(["seq": seq, "pid": .int(Int64(pid))]) {
                var byte: UInt8 = 1
                _ = write(go[1], &byte, 1)
            }
        }
        close(go[1])
        return true
    }

    /// In the child: the descriptors and signals a shell that job-exec started has,
    /// then the shell.
    private func becomeShell(stderrFD: Int32, inputFD: Int32, children: Int32) -> Never {
        close(socket)
        close(children)
        setpgid(0, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        sigprocmask(SIG_SETMASK, &empty, nil)
        let null = open("/dev/null", O_RDWR)
        dup2(null, 0)
        dup2(null, 1)
        dup2(stderrFD, 2)
        dup2(inputFD, 3)
        for fd in [null, stderrFD, inputFD] where fd > 3 { close(fd) }
        Self.renameArgument()
        runShell(inputFD: 3, signedFD: nil)
    }

    /// Overwrites `--zygote=N` in this process's command line (what ps shows) with
    /// `--forked`, so that a shell is not taken for the zygote.
    private static func renameArgument() {
        guard CommandLine.argc > 1, let argument = CommandLine.unsafeArgv[1] else { return }
        let length = strlen(argument)
        let name = Array("--forked".utf8.prefix(length))
        for i in 0..<length { argument[i] = i < name.count ? CChar(bitPattern: name[i]) : 0 }
    }

    /// Reports every shell that ended. While the ended shell is not reaped its pid, and
    /// so its process group, cannot be reused: what is left in the group is killed
    /// first (as job-exec would once told), then the shell is reaped.
    private func reap(_ children: Int32) {
        var info = signalfd_siginfo()
        while read(children, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {}
        while true {
            var ended = siginfo_t()
            guard waitid(P_ALL, 0, &ended, WEXITED | WNOHANG | WNOWAIT) == 0 else { return }
            let pid = ended._sifields._sigchld.si_pid
            guard pid > 0 else { return }
            killpg(pid, SIGKILL)
            var status: Int32 = 0
            guard waitpid(pid, &status, 0) == pid else { return }
            send(["exited": .int(Int64(pid)), "status": .int(Int64(status))])
        }
    }

    /// Sends one message; false when job-exec did not get it.
    @discardableResult
    private func send(_ message: JSONValue) -> Bool {
        let bytes = message.compactBytes
        return bytes.withUnsafeBytes { fluxs_send_fds(socket, $0.baseAddress, $0.count, nil, 0) } == bytes.count
    }

    /// Runs once what every shell runs at its start (its input parsed and laid out, a
    /// reactor watching a descriptor, a timer and a signal, a process spawned and waited
    /// for, the messages of its broker link), so that the Swift runtime's lookups are
    /// made here and inherited by every fork.
    private func warmUp() {
        let sample = ShellLaunch(
            id: JobID(1), rank: 0, uri: "local:///nonexistent", jobspec: [
                "version": 1, "resources": [["type": "slot", "count": 1, "label": "task", "with": [["type": "core", "count": 1]]]],
                "tasks": [["command": ["true"], "slot": "task", "count": ["per_slot": 1]]],
                "attributes": ["system": ["duration": 0, "cwd": "/", "environment": ["PATH": "/bin"]]],
            ], R: [
                "version": 1, "execution": ["R_lite": [["rank": "0", "children": ["core": "0-1"]]], "nodelist": ["node0"],
                                            "starttime": 0, "expiration": 0],
            ], tmpdir: "/tmp/fluxs-zygote-warm-up", coreCPUs: ["0", "1"])
        if let json = try? JSONValue(parsing: sample.json.compactBytes), let input = try? ShellInput(json),
           let layout = try? TaskLayout(jobspec: input.jobspec, R: input.R), let index = layout.shellIndex(ofRank: 0) {
            // The PMI server each shell makes for its tasks, with its socket pairs.
            if let server = try? PMIServer(size: layout.size, nodeLayout: layout.ranksByNode, kvsname: "kvs_1",
                                           localRanks: layout.nodes[index].tasks.map(\.rank), exchangesPuts: false),
               let sockets = try? PMISocketServer(server: server) {
                _ = sockets.environment(rank: 0)  // its descriptors close with it
            }
        }
        var spawn = SpawnRequest(argv: ["/bin/true"], environment: [:])
        spawn.executable = "/bin/true"
        spawn.newProcessGroup = true
        spawn.fileActions = [.open(0, path: "/dev/null", flags: O_RDONLY), .open(1, path: "/dev/null", flags: O_WRONLY)]
        guard let reactor = try? Reactor(), let pair = try? Descriptors.pipe() else { return }
        defer {
            close(pair.read)
            close(pair.write)
        }
        var (ran, reaped) = (false, true)
        let watcher = try? reactor.watch(fd: pair.read) {}
        _ = reactor.after(0) { ran = true }
        if let pid = try? ProcessSpawner.spawn(spawn) {
            reaped = false
            do { try reactor.onChildExit(pid) { _ in reaped = true } } catch {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                reaped = true
            }
        }
        try? reactor.onSignal(SIGWINCH) {}  // the shell relays signals (the child's mask is reset)
        while !ran || !reaped { reactor.runOnce(blocking: true) }
        watcher?.cancel()
        // The messages a shell exchanges with its broker.
        let request = Message.request("kvs.commit", value: ["ops": [["op": "append", "key": "k", "value": "v"]]], flags: .streaming)
        _ = try? MessageCodec.decode(MessageCodec.encode(request))
        _ = try? MessageCodec.decode(MessageCodec.encode(request.response(payload: Array("{}".utf8))))
    }
}
