// The codec: round trips of every field, and every kind of bad frame refused with its
// error, never a crash.
import FluxsFormats
import FluxsMessage
import Testing

struct MessageCodecTests {
    static let samples: [Message] = [
        .request("broker.ping"),
        .request("kvs.get", payload: Array(#"{"key":"a.b"}"#.utf8), nodeid: .rank(7), matchtag: 42, flags: .streaming),
        Message(type: .response, topic: "x.y", flags: [.noresponse], nodeid: .upstream, matchtag: .max,
                userid: 1000, rolemask: [.owner, .user], aux: UInt32(bitPattern: -2), route: ["L1", "3", "ƒ-ü"],
                payload: [0, 1, 2, 255]),
        .event("heartbeat.pulse", payload: Array("{}".utf8), sequence: 99),
        Message(type: .control, topic: "", route: Array(repeating: "r", count: 255)),
        .request(String(repeating: "t", count: 5000), payload: Array(repeating: 7, count: 100_000)),
    ]

    @Test(arguments: samples)
    func roundTrip(_ message: Message) throws {
        #expect(try MessageCodec.decode(MessageCodec.encode(message)) == message)
    }

    /// A message made from a value is written as the text of that value, equals its
    /// text twin, and comes off the wire as text.
    @Test func valueMessagesAreTheirTextOnTheWire() throws {
        let value: JSONValue = ["key": "a.b", "n": 3, "list": [true, .null, 1.5]]
        let text = Message.request("kvs.get", payload: value.compactBytes, nodeid: .rank(2), matchtag: 5)
        let made = Message.request("kvs.get", value: value, nodeid: .rank(2), matchtag: 5)
        #expect(made.value == value)
        #expect(made.payload == value.compactBytes)
        #expect(made == text)
        #expect(MessageCodec.encode(made) == MessageCodec.encode(text))
        let decoded = try MessageCodec.decode(MessageCodec.encode(made))
        #expect(decoded.value == nil)
        #expect(decoded == made)
        let answer = made.response(value: ["version": 7])
        #expect(answer.value == ["version": 7])
        #expect(answer.matchtag == 5 && answer.type == .response && answer.errnum == 0)
        #expect(String(decoding: answer.payload, as: UTF8.self) == #"{"version":7}"#)
    }

    /// Setting the bytes of a message made from a value replaces the value.
    @Test func settingBytesDropsTheValue() {
        var message = Message.request("kvs.get", value: ["key": "a"])
        message.payload = Array("{}".utf8)
        #expect(message.value == nil)
        #expect(message.payload == Array("{}".utf8))
    }

    @Test func framesSplitAnywhereReassemble() throws {
        var stream: [UInt8] = []
        for m in Self.samples { MessageCodec.encode(m, into: &stream) }
        for chunk in [1, 2, 3, 7, 64, 4096] {
            var decoder = FrameDecoder()
            var out: [Message] = []
            var i = 0
            while i < stream.count {
                decoder.append(stream[i..<min(i + chunk, stream.count)])
                i += chunk
                while let m = try decoder.next() { out.append(m) }
            }
            #expect(out == Self.samples)
            #expect(decoder.bufferedCount == 0)
        }
    }

    @Test func errorResponseCarriesErrnumAndText() throws {
        let request = Message.request("a.b", matchtag: 5)
        var routed = request
        routed.route = ["L1"]
        let response = routed.errorResponse(38, "no such method")
        let back = try MessageCodec.decode(MessageCodec.encode(response))
        #expect(back.errnum == 38)
        #expect(back.errorText == "no such method")
        #expect(back.matchtag == 5)
        #expect(back.route == ["L1"])
        #expect(back.service == "a")
    }

    static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)] + body
    }

    static let header: [UInt8] = [1, 1, 0, 0] + Array(repeating: 0, count: 20) + [0, 0]

    @Test(arguments: [
        (frame([1, 2, 3]), "frame of 3 bytes is shorter than the 26-byte header"),
        (frame([9] + header.dropFirst()), "unknown protocol version 9"),
        (frame([1, 3] + header.dropFirst(2)), "unknown message type 3"),
        (frame([1, 1, 0x80] + header.dropFirst(3)), "unknown flags 0x80"),
        (frame(Array(header.dropLast(2)) + [10, 0] + [65]), "topic runs past the end of the frame"),
        (frame(Array(header.dropLast(2)) + [1, 0] + [0xff]), "topic is not valid UTF-8"),
        (frame([1, 1, 0, 2] + header.dropFirst(4)), "route runs past the end of the frame"),
        (frame([1, 1, 0, 1] + header.dropFirst(4) + [5, 65]), "route runs past the end of the frame"),
        ([0xff, 0xff, 0xff, 0x7f], "frame of 2147483647 bytes exceeds the limit of 67108864"),
    ])
    func badFramesAreRefused(bytes: [UInt8], message: String) {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        #expect(throws: CodecError(message)) { _ = try decoder.next() }
    }

    @Test func truncatedFrameWaitsThenDecodeRefuses() throws {
        let whole = MessageCodec.encode(.request("a.b", payload: [1, 2, 3]))
        var decoder = FrameDecoder()
        decoder.append(whole.dropLast())
        #expect(try decoder.next() == nil)
        #expect(throws: CodecError("truncated frame")) { _ = try MessageCodec.decode(Array(whole.dropLast())) }
    }

    @Test func configurableLimit() {
        var decoder = FrameDecoder(maxFrameSize: 100)
        decoder.append(MessageCodec.encode(.request("a.b", payload: Array(repeating: 1, count: 200))))
        #expect(throws: CodecError.self) { _ = try decoder.next() }
    }

    @Test func randomGarbageNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<200, using: &generator)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count >= 4 { bytes[2] = 0; bytes[3] = 0 }
            var decoder = FrameDecoder(maxFrameSize: 1 << 16)
            decoder.append(bytes)
            while true {
                guard let m = try? decoder.next() else { break }
                _ = m
            }
        }
    }
}
