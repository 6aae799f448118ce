// Cross-thread wakeups: another thread (a worker doing disk I/O, say) queues a closure
// and writes the eventfd; the loop drains the queue on its own thread.
#if canImport(Glibc)
import Glibc
#endif
import CFluxsSupport
import Synchronization

final class Wakeup: Sendable {
    let fd: Int32
    let queue = Mutex<[@Sendable () -> Void]>([])

    init() throws(SystemError) {
        fd = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard fd >= 0 else { throw SystemError("eventfd") }
    }

    func post(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.append(work) }
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    func drain() {
        var count: UInt64 = 0
        _ = read(fd, &count, 8)
        let work = queue.withLock { q in
            let all = q
            q.removeAll()
            return all
        }
        for item in work { item() }
    }
}

extension Reactor {
    /// A handle other threads use to run closures on this loop.
    public var waker: ReactorWaker { ReactorWaker(wakeup: wakeup) }
}

/// Runs closures on a reactor's thread from any thread.
public struct ReactorWaker: Sendable {
    let wakeup: Wakeup
    /// Queues `work` to run on the loop's thread, soon.
    public func post(_ work: @escaping @Sendable () -> Void) { wakeup.post(work) }
}
