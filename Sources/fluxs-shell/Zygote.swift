// The shell zygote (man fluxs-shell(1), ZYGOTE): one warm fluxs-shell per broker that
// forks a shell for each of the instance owner's jobs, so a job's shell costs a fork,
// not an exec of the whole binary, the dynamic loader and the Swift runtime's start-up.
// job-exec talks to it over a SOCK_SEQPACKET socket on descriptor N:
//   job-exec -> zygote: a message of one byte with two descriptors: the shell's
//                       stderr (a pipe) and its input (a memory file)
//   zygote -> job-exec: {"pid": P} (or {"errno": E}) for each, in order; and
//                       {"exited": P, "status": S} when a shell ends (the wait status)
// The forked shell is its own process group, with /dev/null on 0 and 1, the pipe on 2
// and the input on 3, as when job-exec starts one itself; from there it is the same
// shell. The zygote stays single-threaded (fork is safe) and exits when job-exec goes.
import CFluxsSupport
import FluxsFormats
import FluxsProcess
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
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { exit(1) }
            if fds[1].revents != 0 { reap(children) }
            if fds[0].revents != 0 && !serveOne(children) { exit(0) }
        }
    }

    /// Takes one request and forks its shell; false when job-exec is gone.
    private func serveOne(_ children: Int32) -> Bool {
        var byte: UInt8 = 0
        var passed = [Int32](repeating: -1, count: 8)
        var count: Int32 = 0
        let n = fluxs_recv_fds(socket, &byte, 1, &passed, 8, &count)
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return true }
        guard n > 0 else { return false }
        guard count == 2 else {
            for fd in passed.prefix(Int(count)) { close(fd) }
            send(["errno": .int(Int64(EPROTO))])
            return true
        }
        let (stderrFD, inputFD) = (passed[0], passed[1])
        let pid = fork()
        if pid == 0 { becomeShell(stderrFD: stderrFD, inputFD: inputFD, children: children) }
        let failure = errno
        close(stderrFD)
        close(inputFD)
        if pid < 0 { send(["errno": .int(Int64(failure))]) } else {
            setpgid(pid, pid)  // as the child does: whoever runs first, the group exists
            send(["pid": .int(Int64(pid))])
        }
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

    /// Reports every shell that ended.
    private func reap(_ children: Int32) {
        var info = signalfd_siginfo()
        while read(children, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {}
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            send(["exited": .int(Int64(pid)), "status": .int(Int64(status))])
        }
    }

    private func send(_ message: JSONValue) {
        let bytes = message.compactBytes
        _ = bytes.withUnsafeBytes { fluxs_send_fds(socket, $0.baseAddress, $0.count, nil, 0) }
    }

    /// Runs the parsing the shells will need once, so that the Swift runtime's lookups
    /// are made here and inherited by every fork.
    private func warmUp() {
        let sample = """
            {"id": 1, "rank": 0, "uri": "local:///nonexistent", "tmpdir": "/tmp", "jobspec": {"version": 1,
             "resources": [{"type": "slot", "count": 1, "label": "task", "with": [{"type": "core", "count": 1}]}],
             "tasks": [{"command": ["true"], "slot": "task", "count": {"per_slot": 1}}],
             "attributes": {"system": {"duration": 0, "cwd": "/", "environment": {}}}},
             "R": {"version": 1, "execution": {"R_lite": [{"rank": "0", "children": {"core": "0"}}], "starttime": 0, "expiration": 0}}}
            """
        _ = try? ShellInput(try JSONValue(parsing: Array(sample.utf8)))
    }
}
