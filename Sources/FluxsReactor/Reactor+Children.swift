// Child exits through pidfds: each watched child's pidfd becomes readable when it
// exits; the loop then reaps it with waitpid and hands the status to the handler.
#if canImport(Glibc)
import Glibc
#endif
import CFluxsSupport

extension Reactor {
    /// Calls `handler` on the loop with the wait status of the child `pid` when it exits,
    /// after reaping it (FluxsProtocol's ExitStatus reads it; -1 << 8 when someone
    /// else reaped it).
    public func onChildExit(_ pid: pid_t, _ handler: @escaping (Int32) -> Void) throws(SystemError) {
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
            handler(r == pid ? status : 0xff00)
        }
    }
}
