// The initial program: the command `fluxs start CMD` runs inside the instance, with
// FLUXS_URI pointing at the broker. It runs in its own process group, so that the
// broker can signal everything it started, unless it shares the broker's terminal
// (an interactive shell), where it must stay in the terminal's foreground group.
#if canImport(Glibc)
import Glibc
#endif
import FluxsMessage

/// A running initial program.
final class InitialProgram {
    let pid: pid_t
    let ownGroup: Bool

    private init(pid: pid_t, ownGroup: Bool) {
        self.pid = pid
        self.ownGroup = ownGroup
    }

    /// Starts `argv` with the extra environment; searches PATH for argv[0].
    static func spawn(_ argv: [String], environment extra: [String: String], interactive: Bool) throws(ServiceError) -> InitialProgram {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        for (k, v) in extra { env[k] = v }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if !interactive {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], nil, &attr, cArgs, cEnv)
        guard rc == 0 else { throw ServiceError(rc, "\(argv[0]): \(ServiceError.text(of: rc))") }
        return InitialProgram(pid: pid, ownGroup: !interactive)
    }

    /// Sends a signal to the program (and its whole group when it has its own).
    func signal(_ signo: Int32) {
        if ownGroup { kill(-pid, signo) } else { kill(pid, signo) }
    }
}
