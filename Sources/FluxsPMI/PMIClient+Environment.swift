// Finding the process manager from the environment, as MPICH's simple PMI does:
// PMI_FD with PMI_RANK and PMI_SIZE (a pre-connected fd), or else PMI_PORT=host:port
// with PMI_ID (connect over TCP, send `cmd=initack pmiid=ID`, read `cmd=initack` and
// `cmd=set` lines for size, rank and debug). Unlike MPICH, PMI_FD without rank and size
// is an error, not a silent singleton.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension PMIClient {
    /// The client for this process's environment, nil when neither PMI_FD nor PMI_PORT
    /// is set (the process was not launched by a PMI process manager).
    public static func fromEnvironment(timeout: Double = 60) throws(ServiceError) -> PMIClient? {
        var environment: [String: String] = [:]
        for name in ["PMI_FD", "PMI_RANK", "PMI_SIZE", "PMI_PORT", "PMI_ID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return try fromEnvironment(environment, timeout: timeout)
    }

    /// The client for the given environment variables (for tests and wrappers).
    public static func fromEnvironment(_ environment: [String: String], timeout: Double = 60) throws(ServiceError) -> PMIClient? {
        if let fdText = environment["PMI_FD"] {
            guard let fd = Int32(fdText), fd >= 0 else {
                throw ServiceError(EINVAL, "PMI: PMI_FD=\"\(fdText)\" is not a file descriptor")
            }
            guard let rank = environment["PMI_RANK"].flatMap({ Int($0) }),
                let size = environment["PMI_SIZE"].flatMap({ Int($0) }), size > 0, rank >= 0, rank < size
            else {
                throw ServiceError(
                    EINVAL,
                    "PMI: PMI_FD is set but PMI_RANK=\(environment["PMI_RANK"] ?? "(unset)") and PMI_SIZE=\(environment["PMI_SIZE"] ?? "(unset)") do not give a rank and size")
            }
            return try PMIClient(fd: fd, rank: rank, size: size, timeout: timeout)
        }
        if let port = environment["PMI_PORT"] {
            guard let idText = environment["PMI_ID"], let id = Int(idText) else {
                throw ServiceError(EINVAL, "PMI: PMI_PORT is set but PMI_ID=\(environment["PMI_ID"] ?? "(unset)") is not a number")
            }
            return try connect(port: port, id: id, timeout: timeout)
        }
        return nil
    }

    /// Connects to a PMI_PORT server (`host:port`), runs the initack handshake as process
    /// `id`, then the init handshake.
    public static func connect(port address: String, id: Int, timeout: Double = 60) throws(ServiceError) -> PMIClient {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw ServiceError(EINVAL, "PMI: PMI_PORT=\"\(address)\" is not host:port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let fd = try connectTCP(host: host, port: port, address: address)
        do throws(ServiceError) {
            let deadline = PMIStreamIO.now() + timeout
            var buffer = PMILineBuffer()
            try PMIStreamIO.writeAll(fd, PMIMessage("initack", ["pmiid": "\(id)"]).line, peer: "the PMI server")
            let ack = try receive(fd, &buffer, expect: "initack", deadline: deadline)
            try check(ack)
            var settings: [String: String] = [:]
            while settings["size"] == nil || settings["rank"] == nil || settings["debug"] == nil {
                let set = try receive(fd, &buffer, expect: "set", deadline: deadline)
                for field in set.fields { settings[field.key] = field.value }
            }
            guard let size = settings["size"].flatMap({ Int($0) }), let rank = settings["rank"].flatMap({ Int($0) }),
                size > 0, rank >= 0, rank < size
            else {
                throw ServiceError(EPROTO, "PMI: bad size or rank after initack: \(settings)")
            }
            guard buffer.bufferedCount == 0 else {
                throw ServiceError(EPROTO, "PMI: unexpected data after the initack handshake")
            }
            return try PMIClient(fd: fd, rank: rank, size: size, timeout: timeout)
        } catch {
            close(fd)
            throw error
        }
    }

    /// A blocking TCP connection to host:port (any address family getaddrinfo offers).
    private static func connectTCP(host: String, port: UInt16, address: String) throws(ServiceError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ServiceError(EHOSTUNREACH, "PMI: cannot resolve \"\(host)\" from PMI_PORT=\(address): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastErrno: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            if fd < 0 { lastErrno = errno; continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastErrno = errno
            close(fd)
        }
        throw ServiceError(lastErrno, "PMI: cannot connect to PMI_PORT=\(address): \(ServiceError.text(of: lastErrno))")
    }
}
