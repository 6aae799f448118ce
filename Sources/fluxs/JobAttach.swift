// Following a job from the command line (`fluxs run`, `fluxs job attach`, `fluxs submit
// --watch`): its output printed as the shells store it (kvs.watch on guest.output), its
// eventlog watched for exceptions and the end (kvs.watch on eventlog), standard input
// sent to the tasks (appended to guest.input) when the job reads it from the service,
// and Ctrl-C: once sends SIGINT to the tasks, twice within 2 s cancels the job. The
// result is the job's exit code as a shell would give it. `fluxs job attach` (below)
// adds Flux's -E (every event of the eventlog on stderr, as "T.TTTs: job.NAME CONTEXT",
// T from the first event) and --tail=N (of the output stored when the attach starts,
// the last N lines only; what comes after, all of it).
import ArgumentParser
import CFluxsSupport
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// A job being followed.
final class JobAttach {
    private let handle: FluxsHandle
    private let id: JobID
    private let program: String
    private let forwardInput: Bool
    private let stdinRanks: String
    private let label: Bool
    /// Whether this attach writes guest.input's header (fluxs run, the job's only
    /// writer of input before anyone can attach).
    private var inputHeader: Bool
    private var status: Int32?
    private var failed = false
    private var cleaned = false
    /// Whether the output watch has answered at least once (its first answer holds all
    /// the output stored when it started; later ones come before the job's clean event).
    private var outputSeen = false
    private var inputOpen: Bool
    private var lastInterrupt = -10.0
    /// -E: every event but exceptions printed on stderr, timed from the first one.
    private let showEvents: Bool
    private var firstEvent: Double?
    /// --tail=N: lines of the stored output still to cut to N (nil: print everything).
    private var tail: Int?

    /// Follows `id`; `forwardInput` sends stdin to the tasks `stdinRanks` ("all" or an idset).
    init(handle: FluxsHandle, id: JobID, program: String, forwardInput: Bool, stdinRanks: String = "all", label: Bool = false,
         writesInputHeader: Bool = false, showEvents: Bool = false, tail: Int? = nil) {
        inputHeader = writesInputHeader
        self.showEvents = showEvents
        self.tail = tail
        self.handle = handle
        self.id = id
        self.program = program
        self.forwardInput = forwardInput
        self.stdinRanks = stdinRanks
        self.label = label
        inputOpen = forwardInput
    }

    /// Follows the job to its end and returns its exit code.
    func run() throws -> Int32 {
        let keys = JobKeys(id)
        let events = try handle.sendRequest(.kvs.watch, payload: (["key": .string(keys.eventlog), "append": true] as JSONValue).compactBytes,
                                            flags: .streaming)
        let output = try handle.sendRequest(.kvs.watch, payload: (["key": .string(keys.output), "append": true] as JSONValue).compactBytes,
                                            flags: .streaming)
        var mask = sigset_t()
        sigemptyset(&mask)
        fluxs_sigset_add(&mask, SIGINT)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &mask, &old)
        let signals = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        defer {
            if signals >= 0 { close(signals) }
            pthread_sigmask(SIG_SETMASK, &old, nil)
        }
        while !(cleaned && outputSeen) {
            var fds = [pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            if inputOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("poll: \(ServiceError.text(of: errno))")
            }
            if fds[1].revents != 0 { interrupted(signals) }
            if inputOpen, fds[2].revents != 0 { try forwardStdin() }
            while let message = try handle.receiveIfReady() {
                guard message.type == .response else { continue }
                if message.matchtag == events { try eventlog(message) }
                if message.matchtag == output {
                    outputSeen = true
                    try printOutput(message)
                }
                if cleaned && outputSeen { break }
            }
        }
        return exitCode()
    }

    // MARK: - What comes back

    /// The entries a watch in append mode brings: the whole log first, then what each
    /// commit appended (so a job's output costs time linear in its size).
    private static func newEntries(_ message: Message) throws -> [EventlogEntry] {
        if message.errnum != 0 { throw ServiceError(response: message) }
        guard let text = try FluxsHandle.decode(message)["value"]?.stringValue else { return [] }
        do { return try Eventlog.parse(text) } catch { throw CommandFailure("an unreadable eventlog: \(error.message)") }
    }

    private func eventlog(_ message: Message) throws {
        for entry in try Self.newEntries(message) {
            let context = entry.context ?? [:]
            let zero = firstEvent ?? entry.timestamp
            firstEvent = zero
            if showEvents, entry.name != "exception" {
                let shown = entry.context.map { " " + JSONValue.object($0).compactText } ?? ""
                let offset = entry.timestamp - zero
                writeStderr("\(Self.seconds(offset))s: job.\(entry.name)\(shown)\n")
            }
            switch entry.name {
            case "exception":
                let severity = context["severity"]?.intValue ?? 0
                if severity == 0 { failed = true }
                let type = context["type"]?.stringValue ?? "?"
                let note = context["note"]?.stringValue ?? ""
                writeStderr("\(program): \(Jobs.show(id)): exception type=\(type)\(note.isEmpty ? "" : ": " + note)\n")
            case "finish":
                status = Int32(clamping: context["status"]?.intValue ?? 0)
            case "clean":
                cleaned = true
            default:
                break
            }
        }
    }

    private func printOutput(_ message: Message) throws {
        var pieces: [(stream: String, ranks: String, text: String)] = []
        for entry in try Self.newEntries(message) {
            guard case .data(let stream, let ranks, let text)? = OutputRecord(entry) else { continue }
            pieces.append((stream, ranks, text))
        }
        if let count = tail {
            // The first answer holds the output stored so far: keep its last lines.
            tail = nil
            var lines: [(stream: String, ranks: String, text: String)] = []
            for piece in pieces {
                var rest = Substring(piece.text)
                while let newline = rest.firstIndex(of: "\n") {
                    lines.append((piece.stream, piece.ranks, String(rest[...newline])))
                    rest = rest[rest.index(after: newline)...]
                }
                if !rest.isEmpty { lines.append((piece.stream, piece.ranks, String(rest))) }
            }
            pieces = Array(lines.suffix(count))
        }
        for piece in pieces {
            let shown = label ? OutputRecord.labeled(piece.text, piece.ranks) : piece.text
            Descriptors.writeAll(piece.stream == "stderr" ? 2 : 1, shown)
        }
    }

    /// Seconds with three decimals, as Flux's "%.3f".
    static func seconds(_ value: Double) -> String {
        let millis = Int64((max(0, value) * 1000).rounded())
        let frac = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// The exit code: the job's own, 128 + N for signal N, 1 for a job that never ran.
    private func exitCode() -> Int32 {
        guard let status else { return 1 }
        let signo = status & 0x7f
        if signo != 0 {
            writeStderr("\(program): task(s) killed by signal \(signo)\n")
            return 128 + signo
        }
        let code = (status >> 8) & 0xff
        if code != 0 { writeStderr("\(program): task(s) exited with exit code \(code)\n") }
        return code
    }

    // MARK: - What goes to the job

    private func forwardStdin() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        var records: [OutputRecord] = inputHeader ? [.header(tasks: 1, streams: ["stdin"])] : []
        inputHeader = false
        if n > 0 {
            records.append(.data(stream: "stdin", ranks: stdinRanks, text: String(decoding: chunk[0..<n], as: UTF8.self)))
        } else {
            records.append(.eof(stream: "stdin", ranks: stdinRanks))
            inputOpen = false
        }
        let now = KVS.wallClock()
        let text = records.map { $0.entry(at: now).line }.joined()
        let key = JobKeys(id).input
        _ = try handle.sendRequest(.kvs.commit, payload: KVSCommitRequest([.append(key, text)]).json.compactBytes)
    }

    private func interrupted(_ signals: Int32) {
        var info = signalfd_siginfo()
        while read(signals, &info, MemoryLayout<signalfd_siginfo>.size) > 0 {}
        let now = KVS.wallClock()
        let body: JSONValue
        let method: ServiceMethod
        if now - lastInterrupt <= 2 {
            method = .jobManager.cancel
            body = ["id": id.wire, "note": "interrupted twice from the terminal"]
            writeStderr("\(program): canceling \(Jobs.show(id))\n")
        } else {
            method = .jobManager.kill
            body = ["id": id.wire, "signal": .int(Int64(SIGINT))]
            writeStderr("\(program): sent SIGINT to \(Jobs.show(id)); one more Ctrl-C within 2 s cancels it\n")
        }
        lastInterrupt = now
        _ = try? handle.sendRequest(method, payload: body.compactBytes)
    }
}

/// Follows a job.
struct JobAttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Print a job's output, live, and pass it standard input.",
        discussion: """
            Prints the job's stdout and stderr from the start, live while it runs and also \
            after it ended, and exits with its exit code. Standard input goes to the tasks \
            when the job was started by fluxs run. Ctrl-C sends SIGINT to the tasks; a \
            second one within 2 s cancels the job. --tail alone is --tail=10.
            """)
    @Flag(name: [.customShort("l"), .long], help: "Prefix each output line with the task rank.")
    var labelIO = false
    @Option(name: [.customShort("i", allowingJoined: true), .long],
            help: ArgumentHelp("Send standard input to these task ranks only (default all).", valueName: "IDSET"))
    var stdinRanks: String?
    @Flag(name: [.customShort("u"), .long], help: "Do not buffer standard input (it never is: accepted for Flux's sake).")
    var unbuffered = false
    @Flag(name: [.customShort("E"), .long], help: "Print the job's events on stderr as they happen.")
    var showEvents = false
    @Option(help: ArgumentHelp("Of the output stored so far, print only the last N lines (then all that follows).", valueName: "N"))
    var tail: Int?
    @Flag(name: [.customShort("r"), .long], help: "Do not send standard input.")
    var readOnly = false
    @Argument(help: "The job (any id form).")
    var id: String

    func validate() throws {
        if let tail, tail < 0 { throw ValidationError("invalid tail argument") }
        if let stdinRanks {
            do { _ = try IDSet(parsing: stdinRanks) } catch { throw ValidationError("--stdin-ranks: \(error.message)") }
        }
    }

    func run() throws {
        let job = try Jobs.parse(id)
        let code: Int32 = try Jobs.on(job) { handle in
            _ = try Jobs.info(handle, job)
            var forward = false
            if !readOnly {
                let spec = try? handle.rpc(.kvs.get, ["key": .string(JobKeys(job).jobspec)])["value"]
                forward = spec?["attributes"]?["system"]?["shell"]?["options"]?["input"]?["stdin"]?["type"]?.stringValue == "service"
            }
            return try JobAttach(handle: handle, id: job, program: "fluxs-job", forwardInput: forward,
                                 stdinRanks: stdinRanks ?? "all", label: labelIO, showEvents: showEvents,
                                 tail: tail).run()
        }
        if code != 0 { throw ExitCode(code) }
    }
}
