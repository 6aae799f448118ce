// The initial program: the command `fluxs start CMD` runs inside the instance, with
// FLUXS_URI pointing at the broker. It runs in its own process group, so that the
// broker can signal everything it started, unless it shares the broker's terminal
// (an interactive shell), where it must stay in the terminal's foreground group.
#if canImport(Glibc)
import Glibc
#endif
import FluxsMessage
import FluxsProcess

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
        var request = SpawnRequest(argv: argv, environment: ProcessEnvironment.current.merging(extra) { $1 })
        request.newProcessGroup = !interactive
        return InitialProgram(pid: try ProcessSpawner.spawn(request), ownGroup: !interactive)
    }

    /// Sends a signal to the program (and its whole group when it has its own).
    func signal(_ signo: Int32) {
        if ownGroup { kill(-pid, signo) } else { kill(pid, signo) }
    }
}
