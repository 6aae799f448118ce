// Blocking reads and writes of whole frames on a connected socket, shared by the
// synchronous handle and the asynchronous client.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

enum SocketIO {
    /// Writes all of `bytes`, retrying on EINTR and short writes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(ServiceError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ServiceError(errno, "lost the broker connection: \(ServiceError.text(of: errno))")
            }
            offset += n
        }
    }

    /// Reads once into the decoder, waiting at most `timeout` seconds (nil: forever).
    /// Returns false on timeout.
    static func fill(_ fd: Int32, _ decoder: inout FrameDecoder, timeout: Double?) throws(ServiceError) -> Bool {
        if let timeout {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(0, min(timeout * 1000, Double(Int32.max))).rounded(.up))
            let r = poll(&pfd, 1, ms)
            if r == 0 { return false }
            if r < 0 && errno != EINTR { throw ServiceError(errno, "poll: \(ServiceError.text(of: errno))") }
            if r < 0 { return true }
        }
        let n = decoder.append(capacity: 65536) { read(fd, $0.baseAddress, $0.count) }
        if n == 0 { throw ServiceError(ECONNRESET, "the broker closed the connection") }
        if n < 0 {
            if errno == EINTR { return true }
            throw ServiceError(errno, "lost the broker connection: \(ServiceError.text(of: errno))")
        }
        return true
    }
}
