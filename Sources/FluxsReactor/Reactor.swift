// The broker's event loop: one thread, epoll, nothing blocks.
//
// Watchers: fd readiness (level-triggered), one-shot and periodic timers (a min-heap
// that sets epoll_wait's timeout), signals (one signalfd), child exits (pidfds), and
// ZeroMQ sockets (ZMQ_FD plus a check of ZMQ_EVENTS before every sleep, because
// ZMQ_FD only signals edges). Handlers run on the loop's thread, one at a time; a
// handler may add or cancel any watcher, including its own.
//
// Thread confinement: a Reactor and its watchers belong to the thread that calls
// run(). Other threads talk to it only through `wake(_:)`.
#if canImport(Glibc)
import Glibc
#endif
import CFluxsSupport
import Synchronization

/// A single-threaded epoll event loop.
public final class Reactor {
    let epfd: Int32
    private var fdHandlers: [Int32: FDWatcher] = [:]
    var timers = TimerHeap()
    var checks: [Int: () -> Bool] = [:]
    private var nextCheckID = 0
    private var stopRequested = false
    private var events = [epoll_event](repeating: epoll_event(), count: 128)
    var signalState: SignalState?
    let wakeup: Wakeup

    /// Makes a reactor. Throws when the kernel refuses an epoll or eventfd.
    public init() throws(SystemError) {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SystemError("epoll_create1") }
        wakeup = try Wakeup()
        _ = try? watch(fd: wakeup.fd, readable: true) { [wakeup] in wakeup.drain() }
    }

    deinit {
        close(epfd)
        close(wakeup.fd)
        if let signalState { close(signalState.fd) }
    }

    /// The time on the loop's clock, in seconds (CLOCK_MONOTONIC).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The time of day, in seconds since the epoch (CLOCK_REALTIME), for timestamps.
    public static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: - Running

    /// Runs until `stop()`; returns then (at once if `stop()` came before `run()`).
    public func run() {
        while !stopRequested { runOnce(blocking: true) }
        stopRequested = false
    }

    /// Makes `run()` return after the current handler.
    public func stop() { stopRequested = true }

    /// Runs one turn: due checks, ready fds, due timers. Blocks only when `blocking` and
    /// nothing is pending.
    public func runOnce(blocking: Bool) {
        var busy = false
        // Looked up one by one: a check may cancel others (or itself) as it runs.
        for id in Array(checks.keys) {
            if let check = checks[id], check() { busy = true }
        }
        var timeout: Int32 = 0
        if blocking && !busy && !stopRequested { timeout = timers.timeoutMilliseconds(now: Self.now()) }
        let n = events.withUnsafeMutableBufferPointer { buf in
            epoll_wait(epfd, buf.baseAddress, Int32(buf.count), timeout)
        }
        if n > 0 {
            for i in 0..<Int(n) {
                let fd = Int32(truncatingIfNeeded: events[i].data.u64)
                let mask = events[i].events
                guard let watcher = fdHandlers[fd] else { continue }
                if mask & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0, let r = watcher.onReadable {
                    r()
                }
                if mask & EPOLLOUT.rawValue != 0, let current = fdHandlers[fd], current === watcher,
                    let w = watcher.onWritable
                {
                    w()
                }
            }
        }
        for handler in timers.takeDue(now: Self.now()) { handler() }
    }

    // MARK: - File descriptors

    /// Calls `handler` whenever `fd` is readable (or hung up). One watcher per fd.
    @discardableResult
    public func watch(fd: Int32, readable: Bool = true, _ handler: @escaping () -> Void) throws(SystemError) -> FDWatcher {
        let watcher = FDWatcher(reactor: self, fd: fd)
        watcher.onReadable = handler
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 else { throw SystemError("epoll_ctl add fd \(fd)") }
        fdHandlers[fd] = watcher
        return watcher
    }

    func update(_ watcher: FDWatcher) {
        guard fdHandlers[watcher.fd] === watcher else { return }
        var ev = epoll_event()
        ev.events = (watcher.onReadable != nil ? EPOLLIN.rawValue : 0) | (watcher.onWritable != nil ? EPOLLOUT.rawValue : 0)
        ev.data.u64 = UInt64(UInt32(bitPattern: watcher.fd))
        epoll_ctl(epfd, EPOLL_CTL_MOD, watcher.fd, &ev)
    }

    func remove(_ watcher: FDWatcher) {
        guard fdHandlers[watcher.fd] === watcher else { return }
        epoll_ctl(epfd, EPOLL_CTL_DEL, watcher.fd, nil)
        fdHandlers[watcher.fd] = nil
    }

    // MARK: - Checks

    /// Runs `check` before every sleep; when it returns true (it did work) the loop
    /// polls instead of sleeping. The ZeroMQ watcher is built on this.
    public func addCheck(_ check: @escaping () -> Bool) -> Int {
        nextCheckID += 1
        checks[nextCheckID] = check
        return nextCheckID
    }

    /// Removes a check added with `addCheck`.
    public func removeCheck(_ id: Int) { checks[id] = nil }
}

/// Watches one file descriptor for readability and, optionally, writability.
public final class FDWatcher {
    unowned let reactor: Reactor
    /// The watched descriptor (not owned: the caller closes it after `cancel()`).
    public let fd: Int32
    var onReadable: (() -> Void)?
    var onWritable: (() -> Void)?

    init(reactor: Reactor, fd: Int32) {
        self.reactor = reactor
        self.fd = fd
    }

    /// Calls `handler` whenever the fd is writable; nil stops watching for writability.
    public func whenWritable(_ handler: (() -> Void)?) {
        onWritable = handler
        reactor.update(self)
    }

    /// Stops watching the fd for readability (writability stays as set).
    public func pauseReading(_ paused: Bool, handler: (() -> Void)? = nil) {
        if paused { onReadable = nil } else if let handler { onReadable = handler }
        reactor.update(self)
    }

    /// Stops watching the fd and lets go of its handlers (and what they hold).
    public func cancel() {
        reactor.remove(self)
        onReadable = nil
        onWritable = nil
    }
}

/// A failed system call: its name and errno.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// What was called.
    public var call: String
    /// errno after the call.
    public var errnum: Int32
    /// Captures errno for `call`.
    public init(_ call: String, errnum: Int32 = errno) {
        self.call = call
        self.errnum = errnum
    }
    public var description: String { "\(call): \(String(cString: strerror(errnum)))" }
}
