// The client side of PMI-1 over a connected fd, blocking, one request in flight (RFC 13
// is lock-step). The broker uses it when Hydra, Slurm or a parent instance launched it:
// init, then put its business card, barrier, get the others' cards, finalize.
//
// Construction does the whole handshake: `init` (PMI 1.1), `get_maxes`, `get_appnum`,
// `get_my_kvsname`; so a PMIClient in hand is a working one. Every wait for the server
// has a deadline (default 60 s) and fails with ETIMEDOUT naming what it waited for.
// Responses are matched by command; `rc` may be missing (Hydra omits it on
// barrier_out) and extra keys are ignored. Keys and values are checked before sending:
// no spaces or newlines (Hydra cuts a value at its first space), and shorter than the
// server's keylen_max and vallen_max, which count a C string's NUL.
//
// The client owns its fd and closes it when released; it marks the fd close-on-exec so
// the broker's own children do not inherit the connection to its launcher.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// A blocking PMI-1 client on one connection to a process manager.
public final class PMIClient {
    /// This process's rank in the job.
    public let rank: Int
    /// The number of ranks in the job.
    public let size: Int
    /// The job's KVS name, used in every put and get.
    public let kvsname: String
    /// The application number.
    public let appnum: Int
    /// The server's limits from `get_maxes`.
    public let limits: PMILimits
    /// The default deadline of each wait, in seconds.
    public let timeout: Double
    /// The connection, owned by the client.
    public let fd: Int32
    /// Whether finalize completed.
    public private(set) var isFinalized = false

    private var buffer = PMILineBuffer()
    private let peer = "the PMI server"

    /// Takes over a connected fd (PMI_FD mode, or after the PMI_PORT handshake) and runs
    /// the init handshake. The fd is closed when this throws or the client goes away.
    public init(fd: Int32, rank: Int, size: Int, timeout: Double = 60) throws(ServiceError) {
        self.fd = fd
        self.rank = rank
        self.size = size
        self.timeout = timeout
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        var buffer = PMILineBuffer()
        do throws(ServiceError) {
            let deadline = PMIStreamIO.now() + timeout
            func ask(_ request: PMIMessage, _ expect: String) throws(ServiceError) -> PMIMessage {
                try PMIStreamIO.writeAll(fd, request.line, peer: "the PMI server")
                return try Self.receive(fd, &buffer, expect: expect, deadline: deadline)
            }
            let initReply = try ask(PMIMessage("init", ["pmi_version": "1", "pmi_subversion": "1"]), "response_to_init")
            guard initReply.succeeded, initReply.int("pmi_version") ?? 1 == 1 else {
                throw ServiceError(EPROTO, "PMI: the server refused PMI-1: \(initReply)")
            }
            let maxes = try ask(PMIMessage("get_maxes"), "maxes")
            try Self.check(maxes)
            limits = PMILimits(
                kvsnameMax: maxes.int("kvsname_max") ?? 64, keylenMax: maxes.int("keylen_max") ?? 64,
                vallenMax: maxes.int("vallen_max") ?? 1024)
            let app = try ask(PMIMessage("get_appnum"), "appnum")
            try Self.check(app)
            appnum = app.int("appnum") ?? 0
            let name = try ask(PMIMessage("get_my_kvsname"), "my_kvsname")
            try Self.check(name)
            guard let kvs = name["kvsname"], !kvs.isEmpty else {
                throw ServiceError(EPROTO, "PMI: my_kvsname without a kvsname: \(name)")
            }
            kvsname = kvs
        } catch {
            close(fd)
            throw error
        }
        self.buffer = buffer
    }

    deinit { close(fd) }

    /// Publishes a key; visible to other ranks after the next barrier.
    public func put(key: String, value: String, timeout: Double? = nil) throws(ServiceError) {
        try checkKey(key)
        guard PMIMessage.isWireWord(value) else {
            throw ServiceError(EINVAL, "PMI: the value of \"\(key)\" holds a space or newline, which PMI-1 cannot carry")
        }
        guard value.utf8.count < limits.vallenMax else {
            throw ServiceError(
                EOVERFLOW,
                "PMI: the value of \"\(key)\" is \(value.utf8.count) bytes; the server takes at most \(limits.vallenMax - 1) (vallen_max=\(limits.vallenMax))")
        }
        let reply = try request(
            PMIMessage("put", ["kvsname": kvsname, "key": key, "value": value]), "put_result", timeout)
        try Self.check(reply)
    }

    /// Reads a key; nil when the server does not have it (it answers rc≠0).
    public func get(key: String, timeout: Double? = nil) throws(ServiceError) -> String? {
        try checkKey(key)
        let reply = try request(PMIMessage("get", ["kvsname": kvsname, "key": key]), "get_result", timeout)
        guard reply.succeeded else { return nil }
        return reply["value"] ?? ""
    }

    /// Waits until every rank has entered the barrier.
    public func barrier(timeout: Double? = nil) throws(ServiceError) {
        try Self.check(try request(PMIMessage("barrier_in"), "barrier_out", timeout))
    }

    /// The universe size the server announces (Hydra answers -1).
    public func universeSize(timeout: Double? = nil) throws(ServiceError) -> Int {
        let reply = try request(PMIMessage("get_universe_size"), "universe_size", timeout)
        try Self.check(reply)
        return reply.int("size") ?? size
    }

    /// Ends this rank's PMI session.
    public func finalize(timeout: Double? = nil) throws(ServiceError) {
        try Self.check(try request(PMIMessage("finalize"), "finalize_ack", timeout))
        isFinalized = true
    }

    /// Asks the server to end the whole job with `code`, as PMI_Abort does; the message,
    /// if any, goes to standard error (it cannot travel: MPICH sends only the code). The
    /// caller should exit after this returns.
    public func abort(code: Int, message: String = "") throws(ServiceError) {
        if !message.isEmpty {
            let text = "PMI_Abort(\(code)): \(message)\n"
            _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        }
        try PMIStreamIO.writeAll(fd, PMIMessage("abort", ["exitcode": "\(code)"]).line, peer: peer)
    }

    // MARK: - Lock-step exchange

    private func request(_ message: PMIMessage, _ expect: String, _ timeout: Double?) throws(ServiceError) -> PMIMessage {
        try PMIStreamIO.writeAll(fd, message.line, peer: peer)
        let deadline = PMIStreamIO.now() + (timeout ?? self.timeout)
        return try Self.receive(fd, &buffer, expect: expect, deadline: deadline)
    }

    /// Reads the next line and insists it is `cmd=expect`.
    static func receive(
        _ fd: Int32, _ buffer: inout PMILineBuffer, expect: String, deadline: Double
    ) throws(ServiceError) -> PMIMessage {
        let line = try PMIStreamIO.readLine(
            fd, &buffer, deadline: deadline, waitingFor: "cmd=\(expect)", peer: "the PMI server")
        let message: PMIMessage
        do throws(PMIError) {
            message = try PMIMessage.parse(line)
        } catch {
            throw ServiceError(EPROTO, "PMI: bad line from the server: \(error.message)")
        }
        guard message.command == expect else {
            throw ServiceError(EPROTO, "PMI: expected cmd=\(expect) from the server, got: \(message)")
        }
        return message
    }

    /// Turns a response with rc≠0 into an error.
    static func check(_ reply: PMIMessage) throws(ServiceError) {
        guard reply.succeeded else {
            let why = reply["msg"].map { " (\($0))" } ?? ""
            throw ServiceError(EPROTO, "PMI: cmd=\(reply.command) failed with rc=\(reply["rc"] ?? "?")\(why)")
        }
    }

    private func checkKey(_ key: String) throws(ServiceError) {
        guard !key.isEmpty, PMIMessage.isWireWord(key), !key.contains("=") else {
            throw ServiceError(EINVAL, "PMI: bad key \"\(key)\": it must be non-empty with no space, newline or '='")
        }
        guard key.utf8.count < limits.keylenMax else {
            throw ServiceError(
                EOVERFLOW, "PMI: key \"\(key)\" is \(key.utf8.count) bytes; the server takes at most \(limits.keylenMax - 1)")
        }
    }
}
