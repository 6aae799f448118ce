// The asynchronous client: async/await calls, response streams, event streams and
// services provided from Swift code. One reader thread per connection decodes what the
// broker sends and hands each message to whoever waits for it (by matchtag for
// responses, by topic prefix for events, by service for requests); writes happen on the
// caller's thread under a lock. Safe to share between tasks.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An asynchronous connection to a broker.
///
/// ```swift
/// let client = try FluxsClient.connect()            // FLUXS_URI
/// let size = try await client.call(.attr.get, ["name": "size"])["value"]
/// for try await entry in client.stream(.log.dmesg, ["follow": true]) { print(entry) }
/// ```
public final class FluxsClient: Sendable {
    /// The broker this client talks to.
    public let uri: FluxsURI
    private let fd: Int32
    private let writeLock = Mutex<[UInt8]>([])
    private let state = Mutex(State())

    private struct State {
        var nextMatchtag: UInt32 = 0
        var calls: [UInt32: CheckedContinuation<Message, any Error>] = [:]
        var streams: [UInt32: AsyncThrowingStream<JSONValue, any Error>.Continuation] = [:]
        var events: [Int: (prefix: String, continuation: AsyncThrowingStream<Message, any Error>.Continuation)] = [:]
        var nextEventID = 0
        var services: [String: @Sendable (Message) async throws -> JSONValue] = [:]
        var closed: ServiceError?
    }

    private init(uri: FluxsURI, fd: Int32) {
        self.uri = uri
        self.fd = fd
    }

    /// Connects to `uri`, or to FLUXS_URI when nil, and starts the reader thread.
    public static func connect(uri: FluxsURI? = nil) throws(ServiceError) -> FluxsClient {
        let uri = if let uri { uri } else { try FluxsURI.fromEnvironment() }
        let client = FluxsClient(uri: uri, fd: try uri.connect())
        try client.startReader()
        return client
    }

    /// Closes the connection; everything waiting fails with ECONNRESET.
    public func close() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    // MARK: - Calls

    /// Calls `topic` and returns its JSON response; throws ServiceError on an error
    /// response, ETIMEDOUT after `timeout` seconds.
    @discardableResult
    public func call(_ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID = .any, timeout: Double? = nil) async throws -> JSONValue {
        let response = try await callRaw(method, payload: payload.compactBytes, nodeid: nodeid, timeout: timeout)
        return try FluxsHandle.decode(response)
    }

    /// Calls `topic` with raw payload bytes and returns the raw response.
    public func callRaw(_ method: ServiceMethod, payload: [UInt8], nodeid: NodeID = .any, timeout: Double? = nil) async throws -> Message {
        let topic = method.topic
        let tag = nextTag()
        let response: Message = try await withCheckedThrowingContinuation { continuation in
            let failure: ServiceError? = state.withLock { s in
                if let closed = s.closed { return closed }
                s.calls[tag] = continuation
                return nil
            }
            if let failure { return continuation.resume(throwing: failure) }
            do {
                try write(.request(topic, payload: payload, nodeid: nodeid, matchtag: tag))
            } catch {
                if let waiting = state.withLock({ $0.calls.removeValue(forKey: tag) }) { waiting.resume(throwing: error) }
                return
            }
            if let timeout { armTimeout(tag: tag, seconds: timeout, topic: topic) }
        }
        if response.errnum != 0 { throw ServiceError(response: response) }
        return response
    }

    /// Calls a streaming `topic`; the stream yields each response and ends at ENODATA.
    public func stream(_ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID = .any) -> AsyncThrowingStream<JSONValue, any Error> {
        let topic = method.topic
        let tag = nextTag()
        let (stream, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream()
        let failure: ServiceError? = state.withLock { s in
            if let closed = s.closed { return closed }
            s.streams[tag] = continuation
            return nil
        }
        if let failure {
            continuation.finish(throwing: failure)
            return stream
        }
        do {
            try write(.request(topic, payload: payload.compactBytes, nodeid: nodeid, matchtag: tag, flags: .streaming))
        } catch {
            state.withLock { _ = $0.streams.removeValue(forKey: tag) }
            continuation.finish(throwing: error)
        }
        return stream
    }

    // MARK: - Events

    /// Subscribes to events whose topic starts with `prefix` and returns them as a stream.
    public func events(_ prefix: String) async throws -> AsyncThrowingStream<Message, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Message, any Error>.makeStream()
        state.withLock { s in
            s.nextEventID += 1
            s.events[s.nextEventID] = (prefix, continuation)
        }
        try await call(.event.subscribe, ["topic": .string(prefix)])
        return stream
    }

    /// Publishes an event; returns its sequence number.
    @discardableResult
    public func publish(_ topic: String, _ payload: JSONValue? = nil) async throws -> UInt32 {
        var body: [String: JSONValue] = ["topic": .string(topic)]
        if let payload { body["payload"] = payload }
        return UInt32(truncatingIfNeeded: try await call(.event.pub, .object(body))["seq"]?.intValue ?? 0)
    }

    // MARK: - Services

    /// Provides `service` from this client: each request for `service.*` runs `handler`
    /// in a task; its result is the response (a thrown ServiceError the error response).
    public func provide(_ service: String, _ handler: @escaping @Sendable (Message) async throws -> JSONValue) async throws {
        state.withLock { $0.services[service] = handler }
        do {
            try await call(.service.add, ["service": .string(service)])
        } catch {
            _ = state.withLock { $0.services.removeValue(forKey: service) }
            throw error
        }
    }

    // MARK: - Internals

    private func nextTag() -> UInt32 {
        state.withLock { s in
            s.nextMatchtag &+= 1
            if s.nextMatchtag == 0 { s.nextMatchtag = 1 }
            return s.nextMatchtag
        }
    }

    private func write(_ message: Message) throws(ServiceError) {
        try writeLock.withLock { (buffer) throws(ServiceError) in
            buffer.removeAll(keepingCapacity: true)
            MessageCodec.encode(message, into: &buffer)
            try SocketIO.writeAll(fd, buffer)
        }
    }

    private func armTimeout(tag: UInt32, seconds: Double, topic: String) {
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1e9))
            guard let self else { return }
            if let waiting = self.state.withLock({ $0.calls.removeValue(forKey: tag) }) {
                waiting.resume(throwing: ServiceError(ETIMEDOUT, "\(topic): no response after \(seconds)s"))
            }
        }
    }

    private func startReader() throws(ServiceError) {
        let box = Unmanaged.passRetained(ReaderBox(client: self))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<ReaderBox>.fromOpaque(raw!).takeRetainedValue()
            box.client.readLoop()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw ServiceError(rc, "cannot start the client's reader thread")
        }
        pthread_detach(thread)
    }

    private func readLoop() {
        var decoder = FrameDecoder()
        var failure = ServiceError(ECONNRESET, "the broker closed the connection")
        reading: while true {
            do {
                while let message = try decoder.next() { dispatch(message) }
            } catch {
                failure = ServiceError(EPROTO, "bad frame from the broker: \(error.message)")
                break reading
            }
            do {
                _ = try SocketIO.fill(fd, &decoder, timeout: nil)
            } catch {
                failure = error
                break reading
            }
        }
        Glibc.close(fd)
        let s = state.withLock { s in
            s.closed = failure
            let copy = s
            s.calls.removeAll()
            s.streams.removeAll()
            s.events.removeAll()
            return copy
        }
        for c in s.calls.values { c.resume(throwing: failure) }
        for c in s.streams.values { c.finish(throwing: failure) }
        for e in s.events.values { e.continuation.finish(throwing: failure) }
    }

    private func dispatch(_ message: Message) {
        switch message.type {
        case .response:
            if let call = state.withLock({ $0.calls.removeValue(forKey: message.matchtag) }) {
                call.resume(returning: message)
                return
            }
            let last = message.errnum != 0
            guard let stream = state.withLock({ s in last ? s.streams.removeValue(forKey: message.matchtag) : s.streams[message.matchtag] })
            else { return }
            if message.errnum == ENODATA {
                stream.finish()
            } else if message.errnum != 0 {
                stream.finish(throwing: ServiceError(response: message))
            } else {
                do { stream.yield(try FluxsHandle.decode(message)) } catch { stream.finish(throwing: error) }
            }
        case .event:
            let targets = state.withLock { s in s.events.values.filter { message.topic.hasPrefix($0.prefix) }.map(\.continuation) }
            for target in targets { target.yield(message) }
        case .request:
            serve(message)
        case .control:
            break
        }
    }

    private func serve(_ request: Message) {
        let handler = state.withLock { $0.services[String(request.service)] }
        Task {
            let response: Message
            if let handler {
                do {
                    let payload = try await handler(request)
                    response = request.response(payload: payload.compactBytes)
                } catch let error as ServiceError {
                    response = request.errorResponse(error.errnum, error.message)
                } catch {
                    response = request.errorResponse(EIO, "\(error)")
                }
            } else {
                response = request.errorResponse(ENOSYS, "this client does not provide \(request.service)")
            }
            if request.wantsResponse { try? self.write(response) }
        }
    }
}

private final class ReaderBox {
    let client: FluxsClient
    init(client: FluxsClient) { self.client = client }
}
