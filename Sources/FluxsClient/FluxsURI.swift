// Instance URIs. `local://PATH` names a broker's Unix socket (PATH is absolute, so the
// usual form is local:///tmp/fluxs-abc/local). Remote forms (ssh://) come with M9.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// Where an instance's broker listens.
public struct FluxsURI: Sendable, Hashable, CustomStringConvertible {
    /// The Unix socket path.
    public var socketPath: String

    /// Parses `local://PATH`.
    public init(parsing text: String) throws(ServiceError) {
        guard text.hasPrefix("local://") else {
            throw ServiceError(EINVAL, "unsupported URI \"\(text)\" (expected local://PATH)")
        }
        let path = String(text.dropFirst("local://".count))
        guard path.hasPrefix("/") else { throw ServiceError(EINVAL, "URI \"\(text)\": the socket path must be absolute") }
        socketPath = path
    }

    /// The URI of the enclosing instance, from FLUXS_URI.
    public static func fromEnvironment() throws(ServiceError) -> FluxsURI {
        guard let value = getenv("FLUXS_URI"), value.pointee != 0 else {
            throw ServiceError(ENOENT, "FLUXS_URI is not set: run this inside an instance (fluxs start)")
        }
        return try FluxsURI(parsing: String(cString: value))
    }

    public var description: String { "local://\(socketPath)" }

    /// Opens a blocking stream connection to the broker.
    func connect() throws(ServiceError) -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let maxPath = MemoryLayout.size(ofValue: addr.sun_path) - 1
        guard socketPath.utf8.count <= maxPath else { throw ServiceError(ENAMETOOLONG, "socket path \(socketPath) is too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, byte) in socketPath.utf8.enumerated() { raw[i] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServiceError(errno, "socket: \(ServiceError.text(of: errno))") }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw ServiceError(e, "cannot connect to \(self): \(ServiceError.text(of: e))")
        }
        return fd
    }
}
