// Cuts a byte stream into PMI lines. Bytes arrive in any chunking (a server may send
// `initack` and three `set` lines in one write; a client may trickle a line byte by
// byte); `nextLine()` returns each whole line once its newline is buffered. A line longer
// than the limit is refused as soon as the limit is passed, so a peer that never sends
// a newline cannot make the buffer grow without bound.

/// Incremental splitter of newline-terminated lines.
public struct PMILineBuffer: Sendable {
    /// The longest line accepted, newline excluded.
    public let maxLineLength: Int
    private var bytes: [UInt8] = []
    private var start = 0
    private var scanned = 0

    /// Makes a buffer; the default limit leaves room for a 1,024-byte value and its keys.
    public init(maxLineLength: Int = 8192) {
        self.maxLineLength = maxLineLength
    }

    /// Bytes buffered and not yet returned as lines.
    public var bufferedCount: Int { bytes.count - start }

    /// Adds bytes read from the stream.
    public mutating func append(_ chunk: some Collection<UInt8>) {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeFirst(start)
            scanned -= start
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next whole line without its newline, nil when more bytes are needed, or an
    /// error when the line is too long (the stream is then out of step).
    public mutating func nextLine() throws(PMIError) -> String? {
        var index = max(scanned, start)
        while index < bytes.count {
            if bytes[index] == 0x0A {
                let line = String(decoding: bytes[start..<index], as: UTF8.self)
                start = index + 1
                scanned = start
                return line
            }
            index += 1
        }
        scanned = index
        if bytes.count - start > maxLineLength {
            throw PMIError("PMI line longer than \(maxLineLength) bytes")
        }
        return nil
    }
}
