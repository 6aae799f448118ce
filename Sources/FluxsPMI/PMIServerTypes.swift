// What the PMI server state machine gives back: lines to send, on which connection, and
// events the caller must act on (end the job on abort, close a connection that broke the
// protocol, notice that every rank finalized).

/// The limits a server announces in `cmd=maxes`; each counts the terminating NUL of the
/// C API, so the longest value is `vallenMax - 1` bytes.
public struct PMILimits: Hashable, Sendable {
    /// Longest kvsname plus one.
    public var kvsnameMax: Int
    /// Longest key plus one.
    public var keylenMax: Int
    /// Longest value plus one.
    public var vallenMax: Int

    /// Makes limits; the defaults are Hydra's.
    public init(kvsnameMax: Int = 64, keylenMax: Int = 64, vallenMax: Int = 1024) {
        self.kvsnameMax = kvsnameMax
        self.keylenMax = keylenMax
        self.vallenMax = vallenMax
    }
}

/// One line to send: a response message for a connection.
public struct PMIReply: Hashable, Sendable, CustomStringConvertible {
    /// The connection index the line goes to.
    public var connection: Int
    /// The message.
    public var message: PMIMessage

    /// Makes a reply.
    public init(connection: Int, message: PMIMessage) {
        self.connection = connection
        self.message = message
    }

    /// The wire line, newline included.
    public var line: String { message.line }

    public var description: String { "\(connection) <- \(message)" }
}

/// Something the caller of the server must act on.
public enum PMIServerEvent: Hashable, Sendable {
    /// A rank called PMI_Abort: end the whole job with this exit code.
    case abort(rank: Int, exitCode: Int, message: String?)
    /// Every rank has finalized.
    case allFinalized
    /// Every local rank entered a barrier (servers with `exchangesPuts`): send these
    /// puts to the other nodes, then call `completeExchange` with all of theirs.
    case exchange(puts: [String: String])
    /// A connection sent something that is not PMI-1 (or broke the rules): close it and
    /// end the job, logging the message (RFC 13, "Error Handling").
    case protocolError(connection: Int, message: String)
    /// A connection closed before its rank finalized; the job cannot complete its
    /// barriers and should normally end.
    case connectionLost(connection: Int, rank: Int?)
}

/// The result of feeding the server one line or one connection event.
public struct PMIServerOutput: Hashable, Sendable {
    /// Lines to send, in order.
    public var replies: [PMIReply]
    /// Events, in order.
    public var events: [PMIServerEvent]

    /// Makes an output.
    public init(replies: [PMIReply] = [], events: [PMIServerEvent] = []) {
        self.replies = replies
        self.events = events
    }
}
