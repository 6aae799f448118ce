// PMIClient against the server over real sockets, on real threads (blocking clients
// would starve Swift's cooperative pool): four ranks exchanging cards over socketpairs,
// the PMI_PORT initack handshake over TCP loopback, limits refused before sending,
// timeouts, the environment, and a bash child speaking PMI on an inherited PMI_FD.
import FluxsMessage
import FluxsPMI
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs a closure on a new POSIX thread; `join` waits for it.
final class TestThread: @unchecked Sendable {
    private final class Body { let run: @Sendable () -> Void; init(_ run: @escaping @Sendable () -> Void) { self.run = run } }
    private var thread = pthread_t()

    init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        pthread_create(&thread, nil, { arg in
            let body = Unmanaged<Body>.fromOpaque(arg!).takeRetainedValue()
            body.run()
            return nil
        }, box)
    }

    func join() { pthread_join(thread, nil) }
}

@Suite(.serialized)
struct PMIClientTests {
    @Test func fourRanksExchangeCardsOverSocketpairs() throws {
        let size = 4
        let service = try PMISocketServer(size: size)
        let events = Mutex<[PMIServerEvent]>([])
        let results = Mutex<[Int: [String]]>([:])
        let server = TestThread {
            try? service.run { event in
                events.withLock { $0.append(event) }
                return true
            }
        }
        var ranks: [TestThread] = []
        for rank in 0..<size {
            var env = service.environment(rank: rank)
            env["PMI_FD"] = "\(dup(service.childFDs[rank]))"  // as a forked child would have it
            let environment = env
            ranks.append(TestThread {
                do {
                    guard let pmi = try PMIClient.fromEnvironment(environment, timeout: 10) else { return }
                    try pmi.put(key: "card.\(pmi.rank)", value: "{\"rank\":\(pmi.rank),\"size\":\(pmi.size)}")
                    try pmi.barrier()
                    var cards: [String] = []
                    for r in 0..<pmi.size { cards.append(try pmi.get(key: "card.\(r)") ?? "missing") }
                    cards.append(try pmi.get(key: "PMI_process_mapping") ?? "missing")
                    cards.append(try pmi.get(key: "no.such.key") ?? "nil")
                    try pmi.finalize()
                    results.withLock { $0[pmi.rank] = cards }
                } catch {
                    results.withLock { $0[-1, default: []].append("\(error)") }
                }
            })
        }
        service.closeChildEnds()
        ranks.forEach { $0.join() }
        server.join()  // ends when every rank's connection closed
        let cards = (0..<size).map { "{\"rank\":\($0),\"size\":4}" } + ["(vector,(0,1,4))", "nil"]
        results.withLock { all in
            #expect(all[-1] == nil)
            for rank in 0..<size { #expect(all[rank] == cards, "rank \(rank)") }
        }
        #expect(events.withLock { $0 } == [.allFinalized])
    }

    @Test func portModeHandshakeOverTCPLoopback() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(listener, sa, length) == 0, listen(listener, 8) == 0, getsockname(listener, sa, &length) == 0 else {
                    throw ServiceError(errno, "bind/listen")
                }
            }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let events = Mutex<[PMIServerEvent]>([])
        // A hand-made PMI_PORT server: accept two connections, serve them by poll.
        let server = TestThread {
            var state = try! PMIServer(size: 2, kvsname: "kvs_port")
            var fds: [Int32] = [accept(listener, nil, nil), accept(listener, nil, nil)]
            var buffers = [PMILineBuffer(), PMILineBuffer()]
            while fds.contains(where: { $0 >= 0 }) {
                var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                guard poll(&pfds, 2, 10_000) > 0 else { break }
                for i in 0..<2 where pfds[i].revents != 0 {
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let n = read(fds[i], &chunk, chunk.count)
                    if n <= 0 { close(fds[i]); fds[i] = -1; continue }
                    buffers[i].append(chunk[0..<n])
                    // Connection indices 100 and 101: ranks come from initack only.
                    while let line = try? buffers[i].nextLine() {
                        let output = state.handle(connection: 100 + i, line: line)
                        events.withLock { $0 += output.events }
                        for reply in output.replies {
                            let fd = fds[reply.connection - 100]
                            _ = reply.line.withCString { write(fd, $0, strlen($0)) }
                        }
                    }
                }
            }
            fds.filter { $0 >= 0 }.forEach { close($0) }
        }
        let results = Mutex<[Int: String]>([:])
        let clients = [1, 0].map { id in
            TestThread {
                do {
                    let env = ["PMI_PORT": "127.0.0.1:\(port)", "PMI_ID": "\(id)"]
                    guard let pmi = try PMIClient.fromEnvironment(env, timeout: 10) else { return }
                    try pmi.put(key: "k\(pmi.rank)", value: "v\(pmi.rank)")
                    try pmi.barrier()
                    let other = try pmi.get(key: "k\(1 - pmi.rank)") ?? "nil"
                    try pmi.finalize()
                    results.withLock { $0[id] = "\(pmi.rank)/\(pmi.size) \(pmi.kvsname) \(other)" }
                } catch {
                    results.withLock { $0[id] = "error: \(error)" }
                }
            }
        }
        clients.forEach { $0.join() }
        server.join()
        #expect(results.withLock { $0 } == [0: "0/2 kvs_port v1", 1: "1/2 kvs_port v0"])
        #expect(events.withLock { $0 } == [.allFinalized])
    }

    @Test func refusesValuesTheWireCannotCarry() throws {
        let service = try PMISocketServer(size: 1)
        let server = TestThread { try? service.run { _ in true } }
        let fd = dup(service.childFDs[0])
        service.closeChildEnds()
        do {
            let pmi = try PMIClient(fd: fd, rank: 0, size: 1, timeout: 10)
            #expect(pmi.limits == PMILimits())
            try pmi.put(key: "max", value: String(repeating: "x", count: 1023))
            #expect(try pmi.get(key: "max")?.count == 1023)
            do {
                try pmi.put(key: "big", value: String(repeating: "x", count: 1024))
                Issue.record("a 1024-byte value was accepted")
            } catch {
                #expect(error.errnum == EOVERFLOW)
                #expect(error.message.contains("vallen_max=1024"))
            }
            #expect(throws: ServiceError.self) { try pmi.put(key: "sp", value: "a b") }
            #expect(throws: ServiceError.self) { try pmi.put(key: "a=b", value: "x") }
            #expect(throws: ServiceError.self) { try pmi.put(key: "", value: "x") }
            try pmi.finalize()
            #expect(pmi.isFinalized)
        }
        server.join()
    }

    @Test func everyWaitTimesOut() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[1]) }
        let start = Reactorless.now()
        do {
            _ = try PMIClient(fd: pair[0], rank: 0, size: 1, timeout: 0.2)
            Issue.record("a silent server did not time out")
        } catch {
            #expect(error.errnum == ETIMEDOUT)
            #expect(error.message.contains("timed out waiting for cmd=response_to_init"))
        }
        #expect(Reactorless.now() - start < 2)
    }

    @Test func closedServerIsAnError() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        close(pair[1])
        #expect(throws: ServiceError.self) { try PMIClient(fd: pair[0], rank: 0, size: 1, timeout: 5) }
    }

    @Test func environmentChoices() throws {
        #expect(try PMIClient.fromEnvironment([:]) == nil)
        #expect(throws: ServiceError.self) { try PMIClient.fromEnvironment(["PMI_FD": "3"]) }
        #expect(throws: ServiceError.self) { try PMIClient.fromEnvironment(["PMI_FD": "x", "PMI_RANK": "0", "PMI_SIZE": "1"]) }
        #expect(throws: ServiceError.self) { try PMIClient.fromEnvironment(["PMI_PORT": "nocolon", "PMI_ID": "0"]) }
        #expect(throws: ServiceError.self) { try PMIClient.fromEnvironment(["PMI_PORT": "127.0.0.1:1"]) }
    }

    @Test func bashChildSpeaksPMIOnItsInheritedFD() throws {
        let service = try PMISocketServer(size: 2)
        let script = """
            printf 'cmd=init pmi_version=1 pmi_subversion=1\\n' >&$PMI_FD
            read -r a <&$PMI_FD
            printf 'cmd=put kvsname=kvs_0 key=r%s value=%s\\n' $PMI_RANK $PMI_SIZE >&$PMI_FD
            read -r b <&$PMI_FD
            printf 'cmd=barrier_in\\n' >&$PMI_FD
            read -r c <&$PMI_FD
            printf 'cmd=get kvsname=kvs_0 key=r0\\n' >&$PMI_FD
            read -r d <&$PMI_FD
            printf 'cmd=finalize\\n' >&$PMI_FD
            read -r e <&$PMI_FD
            [ "$d" = "cmd=get_result rc=0 value=2" ] && [ "$e" = "cmd=finalize_ack rc=0" ]
            """
        var pids: [pid_t] = []
        for rank in 0..<2 {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            try service.addChildFileActions(&actions, rank: rank)
            let env = service.environment(rank: rank).map { "\($0.key)=\($0.value)" } + ["PATH=/usr/bin:/bin"]
            // bash, not dash: dash cannot redirect to fds above 9.
            let argv = ["/bin/bash", "-c", script]
            var pid = pid_t()
            let cArgv = argv.map { strdup($0) } + [nil]
            let cEnv = env.map { strdup($0) } + [nil]
            defer { (cArgv + cEnv).forEach { free($0) } }
            #expect(posix_spawn(&pid, "/bin/bash", &actions, nil, cArgv, cEnv) == 0)
            pids.append(pid)
        }
        service.closeChildEnds()
        var events: [PMIServerEvent] = []
        try service.run { event in
            events.append(event)
            return event == .allFinalized
        }
        #expect(events == [.allFinalized])
        if events != [.allFinalized] { pids.forEach { kill($0, SIGKILL) } }
        for pid in pids {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            #expect(status == 0)
        }
    }

    @Test func runWatchesExtraFDsAndStops() throws {
        let service = try PMISocketServer(size: 1)
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        var byte: UInt8 = 1
        _ = write(pipeFDs[1], &byte, 1)
        var seen: [Int32] = []
        try service.run(extraFDs: [pipeFDs[0]], onExtraReadable: { fd in
            seen.append(fd)
            return false
        }, onEvent: { _ in true })
        #expect(seen == [pipeFDs[0]])
        // stop() from another thread ends a loop that would otherwise wait forever.
        let stopper = TestThread {
            usleep(50_000)
            service.stop()
        }
        try service.run { _ in true }
        stopper.join()
    }
}

/// The monotonic clock, for measuring timeouts in tests.
enum Reactorless {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
