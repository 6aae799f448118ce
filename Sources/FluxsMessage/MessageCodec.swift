// The wire form of a message (man/man7/fluxs-protocol.7, section ENCODING).
//
//   offset size  field (integers little-endian)
//   0      4     length L of everything after this field
//   4      1     version (1)
//   5      1     type (1 request, 2 response, 4 event, 8 control)
//   6      1     flags (1 streaming, 2 noresponse)
//   7      1     route count R
//   8      4     nodeid          12  4  matchtag
//   16     4     userid          20  4  rolemask
//   24     4     aux (errnum, sequence or status)
//   28     2     topic length T
//   30     T     topic (UTF-8)
//   ...          R route entries: 1-byte length, then the identity
//   ...          payload: the rest of the frame
//
// Decoding never traps: a truncated, oversized or malformed frame is a CodecError.
// On a stream socket, frames follow each other; FrameDecoder cuts them apart.

/// Why a frame could not be decoded.
public struct CodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, for the log line that says why a peer was dropped.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Encodes and decodes messages.
public enum MessageCodec {
    /// The protocol version in every frame.
    public static let version: UInt8 = 1
    /// Bytes before the topic (after the length field).
    public static let fixedHeaderSize = 26
    /// The default largest frame accepted (the broker attribute `message.max-size`).
    public static let defaultMaxFrameSize = 64 << 20

    /// The encoded frame, length prefix included.
    public static func encode(_ message: Message) -> [UInt8] {
        var out: [UInt8] = []
        encode(message, into: &out)
        return out
    }

    /// Appends the encoded frame, length prefix included, to `out`.
    public static func encode(_ message: Message, into out: inout [UInt8]) {
        precondition(message.route.count <= 255, "route deeper than 255 hops")
        var topic = message.topic
        let topicCount = min(topic.utf8.count, Int(UInt16.max))
        let payload = message.payload
        var length = fixedHeaderSize + topicCount + payload.count
        for hop in message.route { length += 1 + min(hop.utf8.count, 255) }
        out.reserveCapacity(out.count + 4 + length)
        appendLE(UInt32(length), to: &out)
        out.append(version)
        out.append(message.type.rawValue)
        out.append(message.flags.rawValue)
        out.append(UInt8(message.route.count))
        appendLE(message.nodeid.rawValue, to: &out)
        appendLE(message.matchtag, to: &out)
        appendLE(message.userid, to: &out)
        appendLE(message.rolemask.rawValue, to: &out)
        appendLE(message.aux, to: &out)
        out.append(UInt8(truncatingIfNeeded: topicCount))
        out.append(UInt8(truncatingIfNeeded: topicCount >> 8))
        topic.withUTF8 { out.append(contentsOf: $0.prefix(topicCount)) }
        for var hop in message.route {
            hop.withUTF8 { bytes in
                let n = min(bytes.count, 255)
                out.append(UInt8(n))
                out.append(contentsOf: bytes.prefix(n))
            }
        }
        out.append(contentsOf: payload)
    }

    /// Decodes the body of one frame (the bytes after the length field).
    public static func decodeBody(_ body: UnsafeRawBufferPointer) throws(CodecError) -> Message {
        guard body.count >= fixedHeaderSize else {
            throw CodecError("frame of \(body.count) bytes is shorter than the \(fixedHeaderSize)-byte header")
        }
        guard body[0] == version else { throw CodecError("unknown protocol version \(body[0])") }
        guard let type = MessageType(rawValue: body[1]) else { throw CodecError("unknown message type \(body[1])") }
        let flags = MessageFlags(rawValue: body[2])
        guard flags.rawValue & ~0x3 == 0 else { throw CodecError("unknown flags 0x\(String(body[2], radix: 16))") }
        let routeCount = Int(body[3])
        let topicCount = Int(body[24]) | Int(body[25]) << 8
        var offset = fixedHeaderSize
        guard offset + topicCount <= body.count else { throw CodecError("topic runs past the end of the frame") }
        guard let topic = String(validating: body[offset..<offset + topicCount], as: UTF8.self) else {
            throw CodecError("topic is not valid UTF-8")
        }
        offset += topicCount
        var route: [String] = []
        route.reserveCapacity(routeCount)
        for _ in 0..<routeCount {
            guard offset < body.count else { throw CodecError("route runs past the end of the frame") }
            let n = Int(body[offset])
            offset += 1
            guard offset + n <= body.count else { throw CodecError("route runs past the end of the frame") }
            guard let hop = String(validating: body[offset..<offset + n], as: UTF8.self) else {
                throw CodecError("route entry is not valid UTF-8")
            }
            route.append(hop)
            offset += n
        }
        return Message(
            type: type, topic: topic, flags: flags,
            nodeid: NodeID(rawValue: readLE(body, 4)), matchtag: readLE(body, 8),
            userid: readLE(body, 12), rolemask: Roles(rawValue: readLE(body, 16)), aux: readLE(body, 20),
            route: route, payload: Array(body[offset...]))
    }

    /// Decodes one whole frame, length prefix included.
    public static func decode(_ frame: [UInt8], maxFrameSize: Int = defaultMaxFrameSize) throws(CodecError) -> Message {
        var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        decoder.append(frame)
        guard let message = try decoder.next() else { throw CodecError("truncated frame") }
        guard decoder.bufferedCount == 0 else { throw CodecError("trailing bytes after the frame") }
        return message
    }

    @inline(__always)
    static func appendLE(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 24))
    }

    @inline(__always)
    static func readLE(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}
