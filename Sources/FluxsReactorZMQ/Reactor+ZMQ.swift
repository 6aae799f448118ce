// ZeroMQ sockets on the loop. ZMQ_FD signals only edges and only after ZMQ_EVENTS is
// read, so a message can be waiting while the fd is quiet. The watcher therefore
// checks ZMQ_EVENTS both when the fd is readable and before every sleep, and calls the
// handler while ZMQ_POLLIN is set; the handler receives with ZMQ_DONTWAIT.
import CZMQ
import FluxsReactor

/// Watches a ZeroMQ socket for messages to receive.
public final class ZMQWatcher {
    unowned let reactor: Reactor
    let socket: UnsafeMutableRawPointer
    var handler: (() -> Void)?
    var fdWatcher: FDWatcher?
    var checkID = 0

    init(reactor: Reactor, socket: UnsafeMutableRawPointer, handler: @escaping () -> Void) {
        self.reactor = reactor
        self.socket = socket
        self.handler = handler
    }

    /// True when the socket has a message to receive now.
    public var readable: Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size) == 0 else { return false }
        return events & Int32(ZMQ_POLLIN) != 0
    }

    /// Calls the handler while messages wait; returns true if it called it at all.
    @discardableResult
    func service() -> Bool {
        var worked = false
        var rounds = 0
        while rounds < 64, let handler, readable {
            handler()
            worked = true
            rounds += 1
        }
        return worked
    }

    /// Stops watching the socket (the caller still owns and closes it).
    public func cancel() {
        handler = nil
        fdWatcher?.cancel()
        fdWatcher = nil
        reactor.removeCheck(checkID)
    }
}

extension Reactor {
    /// Calls `handler` on the loop whenever `socket` has messages to receive.
    @discardableResult
    public func watch(zmqSocket socket: UnsafeMutableRawPointer, _ handler: @escaping () -> Void) throws(SystemError) -> ZMQWatcher {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(socket, ZMQ_FD, &fd, &size) == 0 else {
            throw SystemError("zmq_getsockopt ZMQ_FD", errnum: zmq_errno())
        }
        let watcher = ZMQWatcher(reactor: self, socket: socket, handler: handler)
        watcher.fdWatcher = try watch(fd: fd) { [weak watcher] in watcher?.service() }
        watcher.checkID = addCheck { [weak watcher] in watcher?.service() ?? false }
        return watcher
    }
}
