// The synchronous client: one connection, used from one thread, blocking calls with
// optional timeouts. The lowest-latency path (no thread hand-offs), for simple tools
// and loops. Messages that arrive while a call waits for its own response (events,
// other responses) are kept in arrival order for later receive() calls.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A blocking connection to a broker.
public final class FluxsHandle {
    /// The broker this handle talks to.
    public let uri: FluxsURI
    private let fd: Int32
    private var decoder = FrameDecoder()
    private var nextMatchtag: UInt32 = 0
    private var backlog: [Message] = []
    private var scratch: [UInt8] = []

    /// Connects to `uri`, or to FLUXS_URI when nil.
    public init(uri: FluxsURI? = nil) throws(ServiceError) {
        if let uri { self.uri = uri } else { self.uri = try FluxsURI.fromEnvironment() }
        fd = try self.uri.connect()
    }

    deinit { close(fd) }

    /// The connected socket, for callers that wait on it in their own loop and then
    /// read with `receiveIfReady()`.
    public var fileDescriptor: Int32 { fd }

    // MARK: - Messages

    /// Sends one message as is.
    public func send(_ message: Message) throws(ServiceError) {
        scratch.removeAll(keepingCapacity: true)
        MessageCodec.encode(message, into: &scratch)
        try SocketIO.writeAll(fd, scratch)
    }

    /// The next message, waiting at most `timeout` seconds (ETIMEDOUT after that).
    public func receive(timeout: Double? = nil) throws(ServiceError) -> Message {
        if !backlog.isEmpty { return backlog.removeFirst() }
        return try receiveFromSocket(until: timeout.map { Self.now() + $0 })
    }

    /// The next message if one has arrived, without waiting: for callers that wait on
    /// `fileDescriptor` in their own loop. Nil when nothing (whole) is there yet.
    public func receiveIfReady() throws(ServiceError) -> Message? {
        if !backlog.isEmpty { return backlog.removeFirst() }
        for attempt in 0..<2 {
            do {
                if let message = try decoder.next() { return message }
            } catch {
                throw ServiceError(EPROTO, "bad frame from the broker: \(error.message)")
            }
            if attempt == 0, try !SocketIO.fill(fd, &decoder, timeout: 0) { return nil }
        }
        return nil
    }

    private func receiveFromSocket(until deadline: Double?) throws(ServiceError) -> Message {
        while true {
            do {
                if let message = try decoder.next() { return message }
            } catch {
                throw ServiceError(EPROTO, "bad frame from the broker: \(error.message)")
            }
            let remaining = deadline.map { $0 - Self.now() }
            if let remaining, remaining <= 0 { throw ServiceError(ETIMEDOUT, "timed out waiting for the broker") }
            _ = try SocketIO.fill(fd, &decoder, timeout: remaining)
        }
    }

    /// Sends a request and returns its matchtag.
    public func sendRequest(
        _ method: ServiceMethod, payload: [UInt8], nodeid: NodeID = .any, flags: MessageFlags = []
    ) throws(ServiceError) -> UInt32 {
        nextMatchtag &+= 1
        if nextMatchtag == 0 { nextMatchtag = 1 }
        try send(.request(method.topic, payload: payload, nodeid: nodeid, matchtag: nextMatchtag, flags: flags))
        return nextMatchtag
    }

    /// Waits for the response with `matchtag`; other messages are kept for receive().
    public func response(matchtag: UInt32, timeout: Double? = nil) throws(ServiceError) -> Message {
        if let i = backlog.firstIndex(where: { $0.type == .response && $0.matchtag == matchtag }) {
            return backlog.remove(at: i)
        }
        let deadline = timeout.map { Self.now() + $0 }
        while true {
            let message = try receiveFromSocket(until: deadline)
            if message.type == .response && message.matchtag == matchtag { return message }
            backlog.append(message)
        }
    }

    // MARK: - RPC

    /// Calls `method` and returns the raw response (errors thrown as ServiceError).
    public func rpcRaw(_ method: ServiceMethod, payload: [UInt8] = [], nodeid: NodeID = .any, timeout: Double? = nil) throws(ServiceError) -> Message {
        let tag = try sendRequest(method, payload: payload, nodeid: nodeid)
        let response = try response(matchtag: tag, timeout: timeout)
        if response.errnum != 0 { throw ServiceError(response: response) }
        return response
    }

    /// Calls `method` with a JSON payload and returns the JSON response ({} when empty).
    @discardableResult
    public func rpc(_ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID = .any, timeout: Double? = nil) throws(ServiceError) -> JSONValue {
        let response = try rpcRaw(method, payload: payload.compactBytes, nodeid: nodeid, timeout: timeout)
        return try Self.decode(response)
    }

    /// Calls a streaming `method`; `each` gets every response until the stream ends
    /// (ENODATA) or `each` returns false. Other errors are thrown.
    public func stream(
        _ method: ServiceMethod, _ payload: JSONValue = [:], nodeid: NodeID = .any, timeout: Double? = nil,
        _ each: (JSONValue) throws(ServiceError) -> Bool
    ) throws(ServiceError) {
        let tag = try sendRequest(method, payload: payload.compactBytes, nodeid: nodeid, flags: .streaming)
        while true {
            let response = try response(matchtag: tag, timeout: timeout)
            if response.errnum == ENODATA { return }
            if response.errnum != 0 { throw ServiceError(response: response) }
            if try !each(try Self.decode(response)) { return }
        }
    }

    // MARK: - Events

    /// Subscribes to events whose topic starts with `prefix`.
    public func subscribe(_ prefix: String) throws(ServiceError) {
        try rpc(.event.subscribe, ["topic": .string(prefix)])
    }

    /// Drops a subscription.
    public func unsubscribe(_ prefix: String) throws(ServiceError) {
        try rpc(.event.unsubscribe, ["topic": .string(prefix)])
    }

    /// Publishes an event; returns its sequence number.
    @discardableResult
    public func publish(_ topic: String, _ payload: JSONValue? = nil) throws(ServiceError) -> UInt32 {
        var body: [String: JSONValue] = ["topic": .string(topic)]
        if let payload { body["payload"] = payload }
        return UInt32(truncatingIfNeeded: try rpc(.event.pub, .object(body))["seq"]?.intValue ?? 0)
    }

    /// The next event (messages of other kinds are kept for receive()).
    public func nextEvent(timeout: Double? = nil) throws(ServiceError) -> Message {
        if let i = backlog.firstIndex(where: { $0.type == .event }) { return backlog.remove(at: i) }
        let deadline = timeout.map { Self.now() + $0 }
        while true {
            let message = try receiveFromSocket(until: deadline)
            if message.type == .event { return message }
            backlog.append(message)
        }
    }

    // MARK: - Helpers

    /// The JSON payload of a message ({} when empty).
    public static func decode(_ message: Message) throws(ServiceError) -> JSONValue {
        if message.payload.isEmpty { return [:] }
        do {
            return try JSONValue(parsing: message.payload)
        } catch {
            throw ServiceError(EPROTO, "\(message.topic): response is not JSON: \(error.message)")
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
