// Cuts a byte stream into frames and decodes them. Bytes arrive in any chunking;
// `next()` returns a message once its whole frame is buffered. A frame whose declared
// length exceeds the limit is refused as soon as its length field arrives, before the
// bytes are read, so a hostile peer cannot make the decoder buffer it.
//
// The buffer is a byte array used as a window [start, end): reads land directly in
// its free tail, and the window slides back to the front only when that is cheap.

/// Incremental decoder of length-prefixed frames.
public struct FrameDecoder: Sendable {
    /// The largest frame body accepted.
    public let maxFrameSize: Int
    private var storage: [UInt8]
    private var start = 0
    private var end = 0

    /// Makes a decoder with a frame size limit.
    public init(maxFrameSize: Int = MessageCodec.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
        self.storage = [UInt8](repeating: 0, count: 4096)
    }

    /// Bytes buffered and not yet decoded.
    public var bufferedCount: Int { end - start }

    /// Adds bytes read from the stream.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        reserveTail(bytes.count)
        storage.replaceSubrange(end..<end + bytes.count, with: bytes)
        end += bytes.count
    }

    /// Adds bytes by letting `fill` write up to `capacity` bytes into the buffer's free
    /// tail; `fill` returns how many it wrote (or a negative value, returned unchanged).
    public mutating func append(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        reserveTail(capacity)
        let offset = end
        let written = storage.withUnsafeMutableBytes { all in
            fill(UnsafeMutableRawBufferPointer(rebasing: all[offset..<offset + capacity]))
        }
        if written > 0 { end += written }
        return written
    }

    /// The next whole message, nil when more bytes are needed, or an error for a bad frame.
    /// After an error the stream is out of step: the caller should drop the peer.
    public mutating func next() throws(CodecError) -> Message? {
        guard bufferedCount >= 4 else { return nil }
        let length = storage.withUnsafeBytes { Int(MessageCodec.readLE($0, start)) }
        guard length <= maxFrameSize else {
            throw CodecError("frame of \(length) bytes exceeds the limit of \(maxFrameSize)")
        }
        guard bufferedCount >= 4 + length else { return nil }
        let bodyStart = start + 4
        let result = storage.withUnsafeBytes { all in
            Result { () throws(CodecError) in
                try MessageCodec.decodeBody(UnsafeRawBufferPointer(rebasing: all[bodyStart..<bodyStart + length]))
            }
        }
        let message = try result.get()
        start = bodyStart + length
        if start == end {
            start = 0
            end = 0
        }
        return message
    }

    /// Makes room for `count` more bytes after `end`: slides the window to the front
    /// when that frees enough, else grows the storage.
    private mutating func reserveTail(_ count: Int) {
        if storage.count - end >= count { return }
        if start > 0 {
            storage.withUnsafeMutableBytes { all in
                all.baseAddress!.copyMemory(from: all.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
            if storage.count - end >= count { return }
        }
        var newCount = max(storage.count * 2, 4096)
        while newCount - end < count { newCount *= 2 }
        storage.append(contentsOf: repeatElement(0, count: newCount - storage.count))
    }
}
