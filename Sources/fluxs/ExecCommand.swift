// `fluxs exec`: run a command on ranks of the instance through the exec module, as
// flux-exec(1) does: output comes back as it is produced, stdin goes to every process,
// Ctrl-C is forwarded (twice within 2 s: SIGKILL), and the exit status is the largest.
//
// One handle carries everything: one exec.spawn stream per rank, told apart by
// matchtag, plus the exec.write and exec.kill requests. The loop waits on the handle
// with a short timeout so that it also notices stdin and signals without threads.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

private let execSIGINTs = Atomic<Int>(0)
private let execSIGTERMs = Atomic<Int>(0)

/// Runs a command on ranks of the instance.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command on ranks of the instance.",
        discussion: """
            The command runs as a child of the broker of each rank, with FLUXS_URI set to that \
            broker. Options go before the command; everything from the command on is passed on \
            untouched. The exit status is the largest of the commands' (128+N for signal N; 127 \
            for a command not found, 126 for one that may not run).
            """)

    @Option(name: [.customShort("r", allowingJoined: true), .customLong("rank")],
            help: ArgumentHelp("Run on the ranks in IDSET (default: all).", valueName: "IDSET"))
    var rank: String?
    @Option(name: [.customShort("x", allowingJoined: true), .customLong("exclude")],
            help: ArgumentHelp("Leave out the ranks in IDSET (ranks the instance does not have are no error).", valueName: "IDSET"))
    var exclude: String?
    @Flag(name: [.customShort("l"), .customLong("label-io")], help: "Label each line of output with its rank.")
    var labelIO = false
    @Flag(name: [.customShort("n"), .customLong("noinput")], help: "Do not forward stdin: the commands read end of file.")
    var noinput = false
    @Option(name: [.customShort("d", allowingJoined: true), .customLong("dir")],
            help: ArgumentHelp("Run in DIR (default: the current directory).", valueName: "DIR"))
    var dir: String?
    @Option(name: .customLong("setenv"), help: ArgumentHelp("Set VAR to VAL in the commands' environment.", valueName: "VAR=VAL"))
    var setenv: [String] = []
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    static let joinedLetters: [Character: String] = ["r": "rank", "d": "dir", "x": "exclude"]

    func validate() throws {
        let words = try CommandArguments(command, joinedLetters: Self.joinedLetters, command: Self.self)
        if words.program.isEmpty { throw ValidationError("missing the command to run") }
        let rankText = words.joined["r"]?.last ?? rank ?? "all"
        if rankText != "all" {
            do {
                if try IDSet(parsing: rankText).isEmpty { throw ValidationError("--rank: the idset is empty") }
            } catch let error as ParseError {
                throw ValidationError("--rank: \(error.message)")
            }
        }
        if let excluded = words.joined["x"]?.last ?? exclude, let problem = Self.idsetProblem(excluded) {
            throw ValidationError("--exclude: \(problem)")
        }
        for setting in setenv {
            guard let eq = setting.firstIndex(of: "="), eq != setting.startIndex else {
                throw ValidationError("--setenv \"\(setting)\": expected VAR=VAL")
            }
        }
        if let dir = words.joined["d"]?.last ?? dir, dir.isEmpty { throw ValidationError("--dir: the directory is empty") }
    }

    func run() throws {
        let words = try CommandArguments(command, joinedLetters: Self.joinedLetters, command: Self.self)
        let handle = try Instance.connect()
        let code: Int32
        do {
            let size = try instanceSize(handle)
            var ranks = try targetRanks(words.joined["r"]?.last ?? rank ?? "all", size: size)
            if let excluded = words.joined["x"]?.last ?? exclude {
                let leftOut = (try? IDSet(parsing: excluded)) ?? IDSet()
                ranks.removeAll { leftOut.contains($0) }
                if ranks.isEmpty { throw CommandFailure("No targets specified") }
            }
            var env: [String: JSONValue] = [:]
            for setting in setenv {
                let eq = setting.firstIndex(of: "=")!
                env[String(setting[..<eq])] = .string(String(setting[setting.index(after: eq)...]))
            }
            let request: JSONValue = [
                "cmd": .array(words.program.map { .string($0) }),
                "env": .object(env),
                "cwd": .string(words.joined["d"]?.last ?? dir ?? Terminal.currentDirectory),
                "stdin": .bool(!noinput),
            ]
            var session = ExecSession(handle: handle, ranks: ranks, labelIO: labelIO, forwardInput: !noinput)
            code = try session.run(request)
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Why `text` is not an idset, or nil when it is one.
    static func idsetProblem(_ text: String) -> String? {
        do {
            _ = try IDSet(parsing: text)
            return nil
        } catch {
            return error.message
        }
    }

    /// The instance's size, from the attribute "size".
    private func instanceSize(_ handle: FluxsHandle) throws -> UInt32 {
        let text = try handle.rpc(.attr.get, ["name": "size"])["value"]?.stringValue ?? ""
        guard let size = UInt32(text), size > 0 else { throw CommandFailure("the instance size \"\(text)\" is not a positive integer") }
        return size
    }

    /// The ranks to run on; a rank the instance does not have fails with 68 (EX_NOHOST).
    private func targetRanks(_ text: String, size: UInt32) throws -> [UInt32] {
        if text == "all" { return Array(0..<size) }
        let set: IDSet
        do { set = try IDSet(parsing: text) } catch { throw CommandFailure("--rank \"\(text)\": \(error.message)", exitCode: 2) }
        if let last = set.last, last >= size {
            throw CommandFailure("--rank \(text): there is no rank \(last) in an instance of size \(size)", exitCode: 68)
        }
        return Array(set)
    }
}

/// One run of `fluxs exec`: the streams of every rank, stdin, signals, output.
private struct ExecSession {
    /// Where one rank's command stands.
    struct RankState {
        let rank: UInt32
        var pid: Int64?
        var status: Int32?
        var done = false
        /// exec.write requests not yet answered.
        var pendingWrites = 0
        var inputClosed = false
        /// Unfinished last lines, when labelling, for stdout (1) and stderr (2).
        var partial: [Int32: [UInt8]] = [:]
    }

    let handle: FluxsHandle
    let labelIO: Bool
    var forwardInput: Bool
    var states: [RankState]
    var spawnTags: [UInt32: Int] = [:]
    var writeTags: [UInt32: Int] = [:]
    var stdinDone: Bool
    var lastSIGINT = -1.0
    var sigintsSeen = 0
    var sigtermsSeen = 0
    var requestedSignal: Int32?
    var outputClosed: Set<Int32> = []

    /// exec.write requests in flight per rank before stdin waits.
    static let writeWindow = 4
    static let readSize = 65536

    init(handle: FluxsHandle, ranks: [UInt32], labelIO: Bool, forwardInput: Bool) {
        self.handle = handle
        self.labelIO = labelIO
        self.forwardInput = forwardInput
        states = ranks.map { RankState(rank: $0) }
        // Without a readable stdin there is nothing to forward: the commands get EOF.
        stdinDone = !forwardInput || fcntl(0, F_GETFL) < 0
    }

    /// Starts the command on every rank and runs until every stream has ended;
    /// returns the exit status.
    mutating func run(_ request: JSONValue) throws(ServiceError) -> Int32 {
        signal(SIGINT) { _ in execSIGINTs.add(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in execSIGTERMs.add(1, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)
        let payload = Array(request.compactText.utf8)
        for (i, state) in states.enumerated() {
            let tag = try handle.sendRequest(.exec.spawn, payload: payload, nodeid: .rank(state.rank), flags: .streaming)
            spawnTags[tag] = i
        }
        while states.contains(where: { !$0.done }) {
            try checkSignals()
            try forwardStandardInput()
            let message: Message
            do {
                message = try handle.receive(timeout: 0.05)
            } catch where error.errnum == ETIMEDOUT {
                continue
            }
            guard message.type == .response else { continue }
            if let i = spawnTags[message.matchtag] {
                try spawnResponse(message, i)
            } else if let i = writeTags.removeValue(forKey: message.matchtag) {
                states[i].pendingWrites -= 1
                if message.errnum != 0 { states[i].inputClosed = true }
            }
        }
        for i in states.indices { flushPartial(i) }
        return states.map { $0.status ?? 1 }.max() ?? 0
    }

    // MARK: - Responses

    private mutating func spawnResponse(_ message: Message, _ i: Int) throws(ServiceError) {
        let rank = states[i].rank
        if message.errnum != 0 {
            spawnTags[message.matchtag] = nil
            states[i].done = true
            if message.errnum == ENODATA { return }
            let error = ServiceError(response: message)
            let text = error.message.hasPrefix("rank \(rank): ") ? error.message : "rank \(rank): \(error.message)"
            writeStderr("fluxs-exec: error: \(text)\n")
            if states[i].pid == nil {
                states[i].status = error.errnum == ENOENT ? 127 : error.errnum == EACCES ? 126 : 1
            } else if states[i].status == nil {
                states[i].status = 1
            }
            return
        }
        let body = try FluxsHandle.decode(message)
        switch body["event"]?.stringValue {
        case "started":
            states[i].pid = body["pid"]?.intValue
            if stdinDone { try closeInput(i) }
            if let signo = requestedSignal { try sendSignal(signo, to: i) }
        case "output":
            let fd: Int32 = body["stream"]?.stringValue == "stderr" ? 2 : 1
            var bytes: [UInt8] = []
            if let text = body["data"]?.stringValue {
                bytes = Array(text.utf8)
            } else if let encoded = body["data64"]?.stringValue, let data = Data(base64Encoded: encoded) {
                bytes = Array(data)
            }
            output(bytes, fd: fd, from: i)
        case "exit":
            states[i].status = Int32(truncatingIfNeeded: body["status"]?.intValue ?? 1)
            flushPartial(i)
        default:
            break
        }
    }

    // MARK: - Output

    private mutating func output(_ bytes: [UInt8], fd: Int32, from i: Int) {
        guard labelIO else {
            emit(bytes, fd: fd)
            return
        }
        var pending = states[i].partial[fd, default: []] + bytes
        guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else {
            states[i].partial[fd] = pending
            return
        }
        let label = Array("\(states[i].rank): ".utf8)
        var labelled: [UInt8] = []
        for line in pending[...lastNewline].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            labelled += label + line + [UInt8(ascii: "\n")]
        }
        pending.removeSubrange(...lastNewline)
        states[i].partial[fd] = pending
        emit(labelled, fd: fd)
    }

    /// Prints a rank's unfinished lines, ended with a newline.
    private mutating func flushPartial(_ i: Int) {
        for fd: Int32 in [1, 2] {
            guard let rest = states[i].partial.removeValue(forKey: fd), !rest.isEmpty else { continue }
            emit(Array("\(states[i].rank): ".utf8) + rest + [UInt8(ascii: "\n")], fd: fd)
        }
    }

    /// Writes all of `bytes`; when the reader of our output went away, the commands
    /// get SIGPIPE, as they would in a local pipeline.
    private mutating func emit(_ bytes: [UInt8], fd: Int32) {
        guard !outputClosed.contains(fd) else { return }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n >= 0 {
                offset += n
                continue
            }
            if errno == EINTR { continue }
            if errno == EAGAIN {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
                continue
            }
            outputClosed.insert(fd)
            if requestedSignal == nil { try? signalAll(SIGPIPE) }
            return
        }
    }

    // MARK: - Input

    /// Reads what stdin has now and sends it to every command, once every rank has
    /// started (or failed), while no rank has too many writes in flight.
    private mutating func forwardStandardInput() throws(ServiceError) {
        guard !stdinDone,
            states.allSatisfy({ $0.pid != nil || $0.done }),
            states.allSatisfy({ $0.done || $0.pendingWrites < Self.writeWindow })
        else { return }
        var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        if n <= 0 {
            stdinDone = true
            for i in states.indices { try closeInput(i) }
            return
        }
        let chunk = Array(buffer[0..<n])
        var body: [String: JSONValue] = [:]
        if let text = String(validating: chunk, as: UTF8.self) {
            body["data"] = .string(text)
        } else {
            body["data64"] = .string(Data(chunk).base64EncodedString())
        }
        for i in states.indices where !states[i].done && !states[i].inputClosed {
            try write(body, to: i)
        }
    }

    /// Sends end of file to a rank's command.
    private mutating func closeInput(_ i: Int) throws(ServiceError) {
        guard forwardInput, !states[i].done, !states[i].inputClosed, states[i].pid != nil else { return }
        try write(["eof": .bool(true)], to: i)
        states[i].inputClosed = true
    }

    private mutating func write(_ body: [String: JSONValue], to i: Int) throws(ServiceError) {
        guard let pid = states[i].pid else { return }
        var body = body
        body["pid"] = .int(pid)
        let tag = try handle.sendRequest(.exec.write, payload: Array(JSONValue.object(body).compactText.utf8),
                                         nodeid: .rank(states[i].rank))
        writeTags[tag] = i
        states[i].pendingWrites += 1
    }

    // MARK: - Signals

    /// Forwards SIGINT and SIGTERM; a second SIGINT within 2 s sends SIGKILL, and a third
    /// one within 2 s of that gives up waiting.
    private mutating func checkSignals() throws(ServiceError) {
        let terms = execSIGTERMs.load(ordering: .relaxed)
        if terms > sigtermsSeen {
            sigtermsSeen = terms
            try signalAll(SIGTERM)
        }
        let ints = execSIGINTs.load(ordering: .relaxed)
        guard ints > sigintsSeen else { return }
        sigintsSeen = ints
        let now = FluxsClock.now()
        let soon = lastSIGINT >= 0 && now - lastSIGINT < 2
        lastSIGINT = now
        if soon && requestedSignal == SIGKILL {
            writeStderr("fluxs-exec: error: interrupted; not waiting for the commands to end\n")
            exit(130)
        }
        let signo = soon ? SIGKILL : SIGINT
        let running = states.filter { !$0.done }.count
        if isatty(2) == 1 {
            let more = signo == SIGINT ? " (Ctrl-C again within 2 s sends SIGKILL)" : ""
            writeStderr("fluxs-exec: sending \(signo == SIGINT ? "SIGINT" : "SIGKILL") to \(running) rank(s)\(more)\n")
        }
        try signalAll(signo)
    }

    private mutating func signalAll(_ signo: Int32) throws(ServiceError) {
        requestedSignal = signo
        for i in states.indices { try sendSignal(signo, to: i) }
    }

    private func sendSignal(_ signo: Int32, to i: Int) throws(ServiceError) {
        guard !states[i].done, let pid = states[i].pid else { return }
        _ = try handle.sendRequest(.exec.kill, payload: Array(JSONValue.object(["pid": .int(pid), "signal": .int(Int64(signo))]).compactText.utf8),
                                   nodeid: .rank(states[i].rank))
    }
}
