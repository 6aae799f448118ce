// One client on the local Unix socket. Reads frames without blocking, stamps each
// message with the credentials read once at accept (SO_PEERCRED), and writes responses
// and events with an output buffer when the socket is full. A malformed frame, or an
// output backlog past its limit, drops this client only.
import FluxsMessage
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A connected local client.
final class ClientConnection: Endpoint {
    let id: String
    let fd: Int32
    let uid: UInt32
    let pid: Int32
    let roles: Roles
    private unowned let broker: Broker
    private var watcher: FDWatcher?
    private var decoder: FrameDecoder
    private var output: [UInt8] = []
    private var outputStart = 0
    private var scratch: [UInt8] = []
    private(set) var closed = false
    /// Services (and where) this client sent requests to: told when it disconnects.
    var contacted: Set<ServiceAddress> = []

    /// The most output kept for a client that does not read (then it is dropped).
    static let outputLimit = 256 << 20
    /// The most output capacity a connection keeps once its backlog is written.
    static let keptCapacity = 4 << 20

    init(broker: Broker, fd: Int32, id: String, uid: UInt32, pid: Int32, roles: Roles, maxFrameSize: Int) {
        self.broker = broker
        self.fd = fd
        self.id = id
        self.uid = uid
        self.pid = pid
        self.roles = roles
        self.decoder = FrameDecoder(maxFrameSize: maxFrameSize)
    }

    func start(on reactor: Reactor) throws(SystemError) {
        watcher = try reactor.watch(fd: fd) { [unowned self] in self.readable() }
    }

    // MARK: - Reading

    private func readable() {
        let n = decoder.append(capacity: 65536) { buf in read(fd, buf.baseAddress, buf.count) }
        if n == 0 {
            broker.disconnect(self, reason: nil)
            return
        }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            broker.disconnect(self, reason: "read: \(ServiceError.text(of: errno))")
            return
        }
        while !closed {
            do {
                guard var message = try decoder.next() else { break }
                message.userid = uid
                message.rolemask = roles
                broker.receive(message, from: self)
            } catch {
                broker.disconnect(self, reason: "protocol error: \(error.message)")
                return
            }
        }
    }

    // MARK: - Writing

    func deliver(_ message: Message) {
        guard !closed else { return }
        if outputStart < output.count {
            MessageCodec.encode(message, into: &output)
            if output.count - outputStart > Self.outputLimit {
                broker.disconnect(self, reason: "client does not read its messages (over \(Self.outputLimit >> 20) MiB queued)")
            }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        MessageCodec.encode(message, into: &scratch)
        let written = scratch.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written == scratch.count { return }
        if written < 0 && errno != EAGAIN && errno != EINTR {
            broker.disconnect(self, reason: "write: \(ServiceError.text(of: errno))")
            return
        }
        output = Array(scratch[max(written, 0)...])
        outputStart = 0
        watcher?.whenWritable { [unowned self] in self.flush() }
    }

    private func flush() {
        let written = output.withUnsafeBytes { all in
            send(fd, all.baseAddress! + outputStart, all.count - outputStart, Int32(MSG_NOSIGNAL))
        }
        if written < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            broker.disconnect(self, reason: "write: \(ServiceError.text(of: errno))")
            return
        }
        outputStart += written
        if outputStart == output.count {
            // A buffer of a few MiB is kept for the next backlog (a journal reader, say):
            // giving it back and growing it again costs page faults on every drain.
            output.removeAll(keepingCapacity: output.capacity <= Self.keptCapacity)
            outputStart = 0
            watcher?.whenWritable(nil)
        } else if outputStart >= 65536 && outputStart * 2 >= output.count {
            // A reader that keeps up but never quite drains must not grow the buffer for ever.
            output.removeSubrange(0..<outputStart)
            outputStart = 0
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        watcher?.cancel()
        watcher = nil
        Glibc.close(fd)
    }
}
