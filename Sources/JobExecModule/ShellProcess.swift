// One fluxs-shell on this rank: started in a process group of its own (its tasks join
// it), handed its job on descriptor 3 through a memory file, its stderr kept for the
// broker log and for the exception of a shell that fails. Spawned by job-exec, or
// forked by the rank's shell zygote (ShellZygote.swift) with the same descriptors.
import CFluxsSupport
import FluxsFormats
import FluxsMessage
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A started shell.
final class ShellProcess {
    let pid: pid_t
    /// The launch request, answered when the shell ends.
    let request: Message
    private var stderrFD: Int32
    private var watcher: FDWatcher?
    private(set) var errors: [UInt8] = []
    /// The shell's cgroup directory, if it has one.
    var cgroup: String?
    /// The job's temporary directory on this node (FLUXS_JOB_TMPDIR).
    var directory: String?

    /// The zygote that forked it, if one did (else job-exec spawned it and reaps it).
    let zygote: ShellZygote?
    /// Why the zygote could not fork it, when it was asked and failed (then job-exec
    /// spawned it).
    private(set) var zygoteError: ServiceError?

    /// Starts `fluxs-shell --input-fd=3` with `input` on descriptor 3, through `imp`
    /// (fluxs-imp run --uid=UID --jobid=ID --sign-fd=4) for a guest's job, with the
    /// guest's signed request `signed` on descriptor 4; or has `zygote` fork it.
    init(input: JSONValue, request: Message, reactor: Reactor, imp: [String] = [], signed: String? = nil,
         zygote: ShellZygote? = nil) throws(ServiceError) {
        self.request = request
        let memfd = try Self.memoryFile("fluxs-shell-input", input.compactBytes)
        defer { close(memfd) }
        let signfd = try signed.map { text throws(ServiceError) in try Self.memoryFile("fluxs-shell-J", Array(text.utf8)) }
        defer { if let signfd { close(signfd) } }
        let pair = try Descriptors.pipe()
        let fds = [pair.read, pair.write]
        var spawn = SpawnRequest(argv: imp + [ProcessEnvironment.besideMe("fluxs-shell"), "--input-fd=3"],
                                 environment: ProcessEnvironment.current)
        spawn.executable = spawn.argv[0]
        self.imp = imp.first
        spawn.newProcessGroup = true
        spawn.fileActions = [
            .open(0, path: "/dev/null", flags: O_RDONLY), .open(1, path: "/dev/null", flags: O_WRONLY),
            .duplicate(fds[1], to: 2), .duplicate(memfd, to: 3),
        ]
        if let signfd { spawn.fileActions.append(.duplicate(signfd, to: 4)) }
        var forked: (pid: pid_t, by: ShellZygote)?
        if let zygote {
            do throws(ServiceError) { forked = (try zygote.fork(stderrFD: fds[1], inputFD: memfd), zygote) } catch {
                zygoteError = error
                lseek(memfd, 0, SEEK_SET)
            }
        }
        self.zygote = forked?.by
        do {
            if let forked { pid = forked.pid } else { pid = try ProcessSpawner.spawn(spawn) }
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        stderrFD = fds[0]
        _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)
        watcher = try? reactor.watch(fd: stderrFD) { [unowned self] in self.drain() }
    }

    /// A memory file holding `bytes`, read from the start.
    private static func memoryFile(_ name: String, _ bytes: [UInt8]) throws(ServiceError) -> Int32 {
        let memfd = fluxs_memfd(name)
        guard memfd >= 0 else { throw ServiceError(errno, "memfd_create: \(ServiceError.text(of: errno))") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(memfd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(memfd)
                throw ServiceError(errno, "writing the shell's \(name): \(ServiceError.text(of: errno))")
            }
            offset += n
        }
        lseek(memfd, 0, SEEK_SET)
        return memfd
    }

    /// The IMP, for a guest's shell: signals to its group go through `fluxs-imp kill`
    /// when the broker may not send them itself.
    var imp: String?

    /// Sends a signal to the shell and its tasks.
    func killGroup(_ signo: Int32) {
        guard killpg(pid, signo) != 0, errno == EPERM, let imp else { return }
        var request = SpawnRequest(argv: [imp, "kill", String(signo), String(pid)], environment: ProcessEnvironment.current)
        request.executable = imp
        request.fileActions = [.open(0, path: "/dev/null", flags: O_RDONLY), .open(1, path: "/dev/null", flags: O_WRONLY)]
        guard let helper = try? ProcessSpawner.spawn(request) else { return }
        // Reaped by whoever waits for children last: a short-lived helper, waited for here.
        var status: Int32 = 0
        waitpid(helper, &status, 0)
    }

    /// Reads what the shell wrote to stderr (the first 4 KiB are kept).
    func drain() {
        guard stderrFD >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
            if n > 0 {
                if errors.count < 4096 { errors += chunk[0..<min(n, 4096 - errors.count)] }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return }
            watcher?.cancel()
            watcher = nil
            Glibc.close(stderrFD)
            stderrFD = -1
            return
        }
    }

    /// The shell's stderr as text, trimmed.
    var errorText: String {
        var text = String(decoding: errors, as: UTF8.self)
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }

    /// Reads the rest of the shell's stderr and closes the pipe.
    func closeStderr() {
        drain()
        watcher?.cancel()
        watcher = nil
        if stderrFD >= 0 { Glibc.close(stderrFD) }
        stderrFD = -1
    }
}
