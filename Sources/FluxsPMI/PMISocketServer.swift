// PMI-1 over socketpairs for the ranks a process launches itself (`fluxs start
// --test-size=N`, later the job shell): one socketpair per rank, the child end passed as
// PMI_FD, the server end fed to a PMIServer.
//
// Both ends are created close-on-exec so no child inherits another rank's socket. To
// hand rank r its end, the spawner adds `addChildFileActions(&actions, rank: r)` to its
// posix_spawn file actions: a dup2 of the fd onto itself, which clears close-on-exec in
// that child only (glibc >= 2.29, POSIX 2024); `environment(rank:)` gives the matching
// PMI_FD, PMI_RANK and PMI_SIZE. After spawning every rank, `closeChildEnds()` so that a
// rank's exit shows as end of file on its server end.
//
// Serving is either step by step, `handle(readableIndex:)` when a server end polls
// readable (for a caller with its own loop), or `run(...)`, a poll loop on the calling
// thread that can also watch the caller's fds (a pidfd, a signalfd) and that another
// thread can end with `stop()`. Apart from `stop()`, a PMISocketServer belongs to the
// one thread that serves it. Server ends are blocking: PMI is lock-step, so a reply
// (a short line) only blocks on a client that stopped reading mid-request.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// PMI-1 service for `size` local ranks over socketpairs.
public final class PMISocketServer: @unchecked Sendable {
    /// The protocol state.
    public private(set) var server: PMIServer
    /// The number of ranks.
    public var size: Int { server.size }
    /// The server end of each rank's socketpair (index = rank = connection), -1 once closed.
    public private(set) var serverFDs: [Int32]
    /// The child end of each rank's socketpair (close-on-exec), -1 after `closeChildEnds()`.
    public private(set) var childFDs: [Int32]
    /// Called with each line received ("3 -> cmd=put ...") and sent ("3 <- ..."), for
    /// debugging; nil by default.
    public var trace: ((String) -> Void)?

    private var buffers: [PMILineBuffer]
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// Makes the socketpairs for a server's ranks.
    public init(server: PMIServer) throws(ServiceError) {
        var serverEnds: [Int32] = []
        var childEnds: [Int32] = []
        func closeAll() { (serverEnds + childEnds).forEach { close($0) } }
        for _ in server.localRanks {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
                let saved = errno
                closeAll()
                throw ServiceError(saved, "PMI: socketpair: \(ServiceError.text(of: saved))")
            }
            serverEnds.append(pair[0])
            childEnds.append(pair[1])
        }
        var wake: [Int32] = [-1, -1]
        guard pipe(&wake) == 0 else {
            let saved = errno
            closeAll()
            throw ServiceError(saved, "PMI: pipe: \(ServiceError.text(of: saved))")
        }
        for fd in wake {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        self.server = server
        self.serverFDs = serverEnds
        self.childFDs = childEnds
        self.buffers = Array(repeating: PMILineBuffer(), count: server.localRanks.count)
        self.wakeRead = wake[0]
        self.wakeWrite = wake[1]
    }

    /// Makes a server for `size` ranks on one node (or the given layout) and its socketpairs.
    public convenience init(size: Int, nodeLayout: [[Int]]? = nil, kvsname: String = "kvs_0") throws(ServiceError) {
        let server: PMIServer
        do throws(PMIError) {
            server = try PMIServer(size: size, nodeLayout: nodeLayout, kvsname: kvsname)
        } catch {
            throw ServiceError(EINVAL, "PMI: \(error.message)")
        }
        try self.init(server: server)
    }

    deinit {
        (serverFDs + childFDs + [wakeRead, wakeWrite]).filter { $0 >= 0 }.forEach { close($0) }
    }

    /// The PMI environment of the process on connection `rank` (its index among the
    /// local ranks): PMI_FD, PMI_RANK, PMI_SIZE.
    public func environment(rank: Int) -> [String: String] {
        ["PMI_FD": "\(childFDs[rank])", "PMI_RANK": "\(server.localRanks[rank])", "PMI_SIZE": "\(size)"]
    }

    /// Finishes an exchanged barrier (see PMIServer.completeExchange) and returns its events.
    public func completeExchange(_ puts: [String: String]) -> [PMIServerEvent] {
        apply(server.completeExchange(puts))
    }

    /// Adds to posix_spawn file actions what rank `rank`'s child needs: its socket end
    /// kept open across exec at the same number (a dup2 onto itself clears close-on-exec).
    public func addChildFileActions(_ actions: inout posix_spawn_file_actions_t, rank: Int) throws(ServiceError) {
        let rc = posix_spawn_file_actions_adddup2(&actions, childFDs[rank], childFDs[rank])
        guard rc == 0 else { throw ServiceError(rc, "PMI: posix_spawn_file_actions_adddup2: \(ServiceError.text(of: rc))") }
    }

    /// Closes the child ends in this process, once every rank is spawned.
    public func closeChildEnds() {
        for index in childFDs.indices where childFDs[index] >= 0 {
            close(childFDs[index])
            childFDs[index] = -1
        }
    }

    /// Whether every server end is closed.
    public var allClosed: Bool { serverFDs.allSatisfy { $0 < 0 } }

    /// Serves a rank whose server end polled readable: reads once, answers every whole
    /// line, and returns the events. End of file or a protocol error closes that end.
    public func handle(readableIndex index: Int) -> [PMIServerEvent] {
        let fd = serverFDs[index]
        guard fd >= 0 else { return [] }
        var events: [PMIServerEvent] = []
        let open: Bool
        do {
            open = try PMIStreamIO.readOnce(fd, into: &buffers[index], peer: "rank \(index)")
        } catch {
            open = false
        }
        while serverFDs[index] >= 0 {
            let line: String?
            do throws(PMIError) {
                line = try buffers[index].nextLine()
            } catch {
                closeConnection(index)
                events.append(.protocolError(connection: index, message: "rank \(index): \(error.message)"))
                return events
            }
            guard let line else { break }
            trace?("\(index) -> \(line)")
            events += apply(server.handle(connection: index, line: line))
        }
        if !open && serverFDs[index] >= 0 {
            closeConnection(index)
            events += server.connectionClosed(index).events
        }
        return events
    }

    /// Closes one rank's server end (after a protocol error, or to drop a rank).
    public func closeConnection(_ index: Int) {
        guard serverFDs[index] >= 0 else { return }
        close(serverFDs[index])
        serverFDs[index] = -1
    }

    /// Ends a `run` loop from any thread.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Serves until `onEvent` or `onExtraReadable` returns false, `stop()` is called, or
    /// every server end is closed and there are no extra fds. `extraFDs` are polled with
    /// the sockets (a pidfd, a signalfd): `onExtraReadable` gets each one that is ready.
    public func run(
        extraFDs: [Int32] = [],
        onExtraReadable: (Int32) -> Bool = { _ in true },
        onEvent: (PMIServerEvent) -> Bool
    ) throws(ServiceError) {
        while !(allClosed && extraFDs.isEmpty) {
            var pfds = (serverFDs + extraFDs + [wakeRead]).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let r = poll(&pfds, nfds_t(pfds.count), -1)
            if r < 0 {
                if errno == EINTR { continue }
                throw ServiceError(errno, "PMI: poll: \(ServiceError.text(of: errno))")
            }
            if pfds[pfds.count - 1].revents != 0 {
                var sink = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &sink, 64) > 0 {}
                return
            }
            for index in serverFDs.indices where pfds[index].revents != 0 {
                for event in handle(readableIndex: index) where !onEvent(event) { return }
            }
            for (offset, fd) in extraFDs.enumerated() where pfds[serverFDs.count + offset].revents != 0 {
                if !onExtraReadable(fd) { return }
            }
        }
    }

    /// Sends the replies of one step and returns its events; a rank whose socket fails
    /// is closed and reported lost.
    private func apply(_ output: PMIServerOutput) -> [PMIServerEvent] {
        var events = output.events
        for reply in output.replies {
            let index = reply.connection
            guard index >= 0, index < serverFDs.count, serverFDs[index] >= 0 else { continue }
            trace?("\(index) <- \(reply.message)")
            do {
                try PMIStreamIO.writeAll(serverFDs[index], reply.line, peer: "rank \(index)")
            } catch {
                closeConnection(index)
                events += server.connectionClosed(index).events
            }
        }
        for case .protocolError(let connection, _) in events where connection < serverFDs.count {
            closeConnection(connection)
        }
        return events
    }
}
