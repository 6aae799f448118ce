// Blocking line I/O on a PMI file descriptor, shared by the client and the socket
// server: write a whole line (send with MSG_NOSIGNAL, or write when the fd is a pipe),
// and read until a line is buffered or a deadline passes. Deadlines are on the
// monotonic clock so a wall-clock jump cannot stretch or cut a timeout.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

enum PMIStreamIO {
    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Writes all of `text`, retrying on EINTR and short writes.
    static func writeAll(_ fd: Int32, _ text: String, peer: String) throws(ServiceError) {
        let bytes = Array(text.utf8)
        var offset = 0
        var useWrite = false
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                useWrite
                    ? write(fd, raw.baseAddress! + offset, raw.count - offset)
                    : send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ENOTSOCK && !useWrite { useWrite = true; continue }
                throw ServiceError(errno, "PMI: cannot write to \(peer): \(ServiceError.text(of: errno))")
            }
            offset += n
        }
    }

    /// Reads whatever is available once (blocking), into the buffer. Returns false at
    /// end of file.
    static func readOnce(_ fd: Int32, into buffer: inout PMILineBuffer, peer: String) throws(ServiceError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(chunk[0..<n])
                return true
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return true }
            throw ServiceError(errno, "PMI: cannot read from \(peer): \(ServiceError.text(of: errno))")
        }
    }

    /// The next line, waiting until `deadline` (monotonic seconds).
    static func readLine(
        _ fd: Int32, _ buffer: inout PMILineBuffer, deadline: Double, waitingFor: String, peer: String
    ) throws(ServiceError) -> String {
        while true {
            do throws(PMIError) {
                if let line = try buffer.nextLine() { return line }
            } catch {
                throw ServiceError(EPROTO, "PMI: \(peer): \(error.message)")
            }
            let remaining = deadline - now()
            if remaining <= 0 {
                throw ServiceError(ETIMEDOUT, "PMI: timed out waiting for \(waitingFor) from \(peer)")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up))
            let r = poll(&pfd, 1, ms)
            if r < 0 {
                if errno == EINTR { continue }
                throw ServiceError(errno, "PMI: poll: \(ServiceError.text(of: errno))")
            }
            if r == 0 { continue }
            guard try readOnce(fd, into: &buffer, peer: peer) else {
                throw ServiceError(ECONNRESET, "PMI: \(peer) closed the connection while we waited for \(waitingFor)")
            }
        }
    }
}
