// Child exits through pidfds: each watched child's pidfd becomes readable when it
// exits; the loop then reaps it with waitpid and hands the status to the handler.
#if canImport(Glibc)
import Glibc
#endif
import CFluxsSupport

/// How a process ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It exited with a code.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// Decodes a wait status.
    public init(waitStatus: Int32) {
        if fluxs_wifsignaled(waitStatus) != 0 {
            self = .signaled(fluxs_wtermsig(waitStatus))
        } else {
            self = .exited(fluxs_wexitstatus(waitStatus))
        }
    }

    /// The shell's view: the code, or 128 + the signal.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signo): 128 + signo
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with \(code)"
        case .signaled(let signo): "killed by signal \(signo)"
        }
    }
}

extension Reactor {
    /// Calls `handler` on the loop when the child `pid` exits, after reaping it.
    public func onChildExit(_ pid: pid_t, _ handler: @escaping (ExitStatus) -> Void) throws(SystemError) {
        let pidfd = fluxs_pidfd_open(pid)
        guard pidfd >= 0 else { throw SystemError("pidfd_open \(pid)") }
        var watcher: FDWatcher?
        watcher = try watch(fd: pidfd) {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            guard r == pid || r < 0 else { return }  // not exited yet (spurious wakeup)
            watcher?.cancel()
            watcher = nil
            close(pidfd)
            handler(r == pid ? ExitStatus(waitStatus: status) : .exited(-1))
        }
    }
}
