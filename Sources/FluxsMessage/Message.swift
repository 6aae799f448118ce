// The one message type of fluxs (man/man7/fluxs-protocol.7): requests, responses,
// events and control messages share one header and one codec, on the local Unix socket
// (length-prefixed frames) and, from M3 on, on the ZeroMQ overlay.
//
// Invariants: userid and rolemask are set by the broker from credentials when a
// message enters it, never trusted from a client; a response carries the matchtag and
// route stack of its request; routers read the header only and pass payload bytes on
// untouched (a payload is decoded once, by the service it is for).
//
// A message made in the broker from a JSON value (a module's request, a response,
// an answer to a client) keeps that value: a module of the same broker reads it as
// it is, and its JSON text is written only when the message leaves the process
// (MessageCodec). Between modules of one broker, a payload is never written and
// parsed again; everywhere else it is text, as on the wire.

import FluxsFormats

/// The kind of a message.
public enum MessageType: UInt8, Sendable, CaseIterable {
    /// Asks a service to do something; answered by zero (noresponse), one or many responses.
    case request = 1
    /// Answers a request.
    case response = 2
    /// Published to every subscriber of a topic prefix.
    case event = 4
    /// Broker-internal signalling (keepalives, disconnect notices).
    case control = 8
}

/// Message flags.
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The request expects a stream of responses ended by an ENODATA error response.
    public static let streaming = MessageFlags(rawValue: 1)
    /// The request expects no response at all.
    public static let noresponse = MessageFlags(rawValue: 2)
}

/// Where a request goes: a rank, any rank that provides the service, or upstream.
public struct NodeID: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// A specific broker rank.
    public static func rank(_ rank: UInt32) -> NodeID { NodeID(rawValue: rank) }
    /// The nearest provider of the service, starting with the local broker.
    public static let any = NodeID(rawValue: 0xFFFF_FFFF)
    /// The nearest provider of the service above the local broker.
    public static let upstream = NodeID(rawValue: 0xFFFF_FFFE)
    public var description: String {
        switch self {
        case .any: "any"
        case .upstream: "upstream"
        default: String(rawValue)
        }
    }
}

/// Roles a sender can hold (a bit mask).
public struct Roles: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The instance owner: may do anything.
    public static let owner = Roles(rawValue: 1)
    /// A guest user (M10): may touch only what it owns.
    public static let user = Roles(rawValue: 2)
    /// No role: the sender is not yet known.
    public static let none: Roles = []
}

/// A fluxs message.
public struct Message: Sendable {
    /// Request, response, event or control.
    public var type: MessageType
    /// Streaming and noresponse flags.
    public var flags: MessageFlags
    /// `service.method`, e.g. `broker.ping`; for events the event topic.
    public var topic: String
    /// The destination of a request.
    public var nodeid: NodeID
    /// Pairs responses with their request, per sender.
    public var matchtag: UInt32
    /// The sender's uid, set by the broker (0xFFFFFFFF: unknown).
    public var userid: UInt32
    /// The sender's roles, set by the broker.
    public var rolemask: Roles
    /// Responses: 0 for success, else an errno. Events: the sequence number.
    /// Control messages: a status code.
    public var aux: UInt32
    /// Identities of the hops a request took, most recent last; responses retrace it.
    public var route: [String]
    /// The payload as it came from the wire or from its maker's bytes (empty when the
    /// message was made from a value).
    private var bytes: [UInt8]
    /// The payload as a JSON value, when the message was made from one in this process.
    public private(set) var value: JSONValue?

    /// JSON bytes (or raw bytes where a protocol says so); for an error response the
    /// error text in UTF-8 (may be empty). A message made from a value writes its text
    /// at each read: read it once, where the message leaves the process.
    public var payload: [UInt8] {
        get { value?.compactBytes ?? bytes }
        set {
            bytes = newValue
            value = nil
        }
    }

    /// The unknown uid.
    public static let unknownUser: UInt32 = 0xFFFF_FFFF

    /// Makes a message; most callers use `request`, `response(to:)`, `event`.
    public init(
        type: MessageType, topic: String, flags: MessageFlags = [], nodeid: NodeID = .any,
        matchtag: UInt32 = 0, userid: UInt32 = Message.unknownUser, rolemask: Roles = .none,
        aux: UInt32 = 0, route: [String] = [], payload: [UInt8] = [], value: JSONValue? = nil
    ) {
        self.type = type
        self.flags = flags
        self.topic = topic
        self.nodeid = nodeid
        self.matchtag = matchtag
        self.userid = userid
        self.rolemask = rolemask
        self.aux = aux
        self.route = route
        self.bytes = value == nil ? payload : []
        self.value = value
    }
}

extension Message: Hashable {
    /// Equal when headers and payload text are (a value and its text are equal).
    public static func == (a: Message, b: Message) -> Bool {
        a.type == b.type && a.flags == b.flags && a.topic == b.topic && a.nodeid == b.nodeid
            && a.matchtag == b.matchtag && a.userid == b.userid && a.rolemask == b.rolemask && a.aux == b.aux
            && a.route == b.route && a.payload == b.payload
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(topic)
        hasher.combine(matchtag)
        hasher.combine(aux)
        hasher.combine(payload)
    }
}

// MARK: - Constructors and views

extension Message {
    /// A request for `topic` with a payload.
    public static func request(
        _ topic: String, payload: [UInt8] = [], nodeid: NodeID = .any, matchtag: UInt32 = 0,
        flags: MessageFlags = []
    ) -> Message {
        Message(type: .request, topic: topic, flags: flags, nodeid: nodeid, matchtag: matchtag, payload: payload)
    }

    /// A request for `topic` whose payload is a JSON value (kept as a value until the
    /// request leaves the process).
    public static func request(
        _ topic: String, value: JSONValue, nodeid: NodeID = .any, matchtag: UInt32 = 0, flags: MessageFlags = []
    ) -> Message {
        Message(type: .request, topic: topic, flags: flags, nodeid: nodeid, matchtag: matchtag, value: value)
    }

    /// An event for `topic`.
    public static func event(_ topic: String, payload: [UInt8] = [], sequence: UInt32 = 0) -> Message {
        Message(type: .event, topic: topic, aux: sequence, payload: payload)
    }

    /// A success response to this request, with a payload.
    public func response(payload: [UInt8] = []) -> Message {
        Message(
            type: .response, topic: topic, flags: flags, nodeid: nodeid, matchtag: matchtag,
            userid: userid, rolemask: rolemask, aux: 0, route: route, payload: payload)
    }

    /// A success response to this request whose payload is a JSON value.
    public func response(value: JSONValue) -> Message {
        Message(
            type: .response, topic: topic, flags: flags, nodeid: nodeid, matchtag: matchtag,
            userid: userid, rolemask: rolemask, aux: 0, route: route, value: value)
    }

    /// An error response to this request: an errno and a message for people.
    public func errorResponse(_ errnum: Int32, _ text: String = "") -> Message {
        Message(
            type: .response, topic: topic, flags: flags, nodeid: nodeid, matchtag: matchtag,
            userid: userid, rolemask: rolemask, aux: UInt32(bitPattern: errnum), route: route,
            payload: Array(text.utf8))
    }

    /// The errno of a response (0 on success).
    public var errnum: Int32 {
        get { type == .response ? Int32(bitPattern: aux) : 0 }
        set { aux = UInt32(bitPattern: newValue) }
    }

    /// The sequence number of an event.
    public var sequence: UInt32 {
        get { type == .event ? aux : 0 }
        set { aux = newValue }
    }

    /// The error text of an error response.
    public var errorText: String { String(decoding: payload, as: UTF8.self) }

    /// The service part of the topic: `broker` for `broker.ping`.
    public var service: Substring {
        topic.firstIndex(of: ".").map { topic[..<$0] } ?? Substring(topic)
    }

    /// True when the sender expects at least one response.
    public var wantsResponse: Bool { type == .request && !flags.contains(.noresponse) }
}
