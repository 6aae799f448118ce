// The local socket: a Unix stream socket RUNDIR/local that clients connect to. Each
// accepted connection's peer uid comes from SO_PEERCRED: the instance owner gets the
// owner role; any other uid gets no role, and every request it makes is refused EPERM.
import CFluxsSupport
import FluxsMessage
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// Listens on the broker's Unix socket and accepts clients.
final class LocalListener {
    let path: String
    let fd: Int32
    private var watcher: FDWatcher?
    private unowned let broker: Broker

    init(broker: Broker, path: String) throws(ServiceError) {
        self.broker = broker
        self.path = path
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let maxPath = MemoryLayout.size(ofValue: addr.sun_path) - 1
        guard path.utf8.count <= maxPath else {
            throw ServiceError(ENAMETOOLONG, "socket path \(path) is longer than \(maxPath) bytes; choose a shorter rundir")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw ServiceError(errno, "socket: \(ServiceError.text(of: errno))") }
        unlink(path)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ServiceError(e, "bind \(path): \(ServiceError.text(of: e))")
        }
        // Anyone may connect; SO_PEERCRED decides what they may do.
        chmod(path, 0o777)
        guard listen(fd, 1024) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ServiceError(e, "listen \(path): \(ServiceError.text(of: e))")
        }
    }

    func start() throws(SystemError) {
        watcher = try broker.reactor.watch(fd: fd) { [unowned self] in self.acceptAll() }
    }

    private func acceptAll() {
        while true {
            let client = fluxs_accept(fd)
            if client < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN { broker.log(.err, "accept: \(ServiceError.text(of: errno))") }
                return
            }
            var uid: uid_t = 0, gid: gid_t = 0, pid: pid_t = 0
            guard fluxs_peer_credentials(client, &uid, &gid, &pid) == 0 else {
                broker.log(.err, "SO_PEERCRED: \(ServiceError.text(of: errno))")
                Glibc.close(client)
                continue
            }
            broker.accept(fd: client, uid: uid, pid: pid)
        }
    }

    func close() {
        watcher?.cancel()
        watcher = nil
        Glibc.close(fd)
        unlink(path)
    }
}

extension Broker {
    func accept(fd: Int32, uid: UInt32, pid: Int32) {
        clients.nextNumber += 1
        let roles: Roles = uid == ownerUID || (rootIsOwner && uid == 0) ? .owner : (allowGuests ? .user : .none)
        let client = ClientConnection(
            broker: self, fd: fd, id: "L\(clients.nextNumber)", uid: uid, pid: pid, roles: roles,
            maxFrameSize: Int(attributes["message.max-size"] ?? "") ?? MessageCodec.defaultMaxFrameSize)
        do {
            try client.start(on: reactor)
        } catch {
            log(.err, "cannot watch client: \(error)")
            client.close()
            return
        }
        attach(client)
        if roles.isEmpty { log(.info, "uid \(uid) (pid \(pid)) connected without a role: requests will get EPERM") }
    }
}
