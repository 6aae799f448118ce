// `fluxs watch`: follow the output of several jobs at once until they end, as
// flux-watch(1) does, and exit with the largest of their exit codes.
//
// The jobs are those named, or the caller's jobs that job-manager.list selects with
// --active, --all, --filter, --since and --count. For each one, on one handle, its
// eventlog and its output log (guest.output, RFC 24) are read: with kvs.get when the job
// was already inactive, else with kvs.watch (whose answers come in commit order, so the
// answer that carries the job's last event, clean, comes after all of its output).
// Output is copied as it comes to stdout and stderr, jobs interleaved; fatal exceptions
// are printed on stderr as flux-core prints them (`job.exception: type=T severity=0
// NOTE`). The exit code of a job is its own, 128 + N when signal N killed it, 1 when
// it ended by an exception before it started; a job is done when its clean event and
// the first answer about its output are in.
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

/// Follows jobs' output until they end.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print the output of jobs until they end; exit with the largest exit code.",
        discussion: """
            Watches the jobs given by id, or the caller's jobs chosen with --active, --all, \
            --filter or --since, inactive ones included (their output is printed at once). \
            Exits 0 when no job matches or all succeeded, else with the largest exit code \
            of the jobs (128 + N for a job killed by signal N, 1 for a job that never ran).
            """)

    @Flag(name: [.customShort("a"), .long], help: "Watch the caller's active jobs (as --filter=pending,running).")
    var active = false
    @Flag(name: [.customShort("A"), .long], help: "Watch all the caller's jobs (as --filter=pending,running,inactive).")
    var all = false
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: ArgumentHelp("Watch at most N jobs (default 1000; 0: no limit).", valueName: "N"))
    var count: Int?
    @Option(help: ArgumentHelp("Only jobs active since WHEN (-DURATION, @SECONDS, a date); implies --all without --filter.", valueName: "WHEN"))
    var since: String?
    @Option(name: [.customShort("f", allowingJoined: true), .long],
            help: ArgumentHelp("Watch jobs in these states or with these results, comma-separated (as fluxs jobs -f).", valueName: "STATES"))
    var filter: [String] = []
    @Flag(help: "Show a progress bar on the terminal's last line.")
    var progress = false
    @Flag(help: "With --progress, show jobs per second instead of the elapsed time.")
    var jps = false
    @Flag(name: [.customShort("l"), .long], help: "Prefix each output line with the job id and the task rank.")
    var labelIO = false
    @Flag(name: [.customShort("v"), .long], help: "Say how each job ended (twice: print every event).")
    var verbose: Int
    @Argument(help: "The jobs (any id form).")
    var ids: [String] = []

    /// Whether any option that chooses jobs by listing was given.
    var filtering: Bool { active || all || count != nil || since != nil || !filter.isEmpty }

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
        if ids.isEmpty && !(active || all || since != nil || !filter.isEmpty) {
            throw ValidationError("At least one job selection option is required")
        }
    }

    func run() throws {
        let jobs = try Jobs.parse(ids)
        var when: Double?
        if jobs.isEmpty, let since {
            do { when = try TimeText.parse(since) } catch { throw CommandFailure("--since: \(error.message)", exitCode: 2) }
            if when! > TimeText.now() { throw CommandFailure("--since=\(since) appears to be in the future", exitCode: 2) }
        }
        let handle = try Instance.connect()
        let code: Int32
        do {
            code = try watch(handle, jobs, since: when)
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Lists the jobs and watches them; `since`: --since as a time.
    private func watch(_ handle: FluxsHandle, _ jobs: [JobID], since: Double?) throws -> Int32 {
        if !jobs.isEmpty && filtering {
            writeStderr("fluxs-watch: warning: Filtering options ignored with jobid list\n")
        }
        var start: Double?
        var states = filter.flatMap { $0.split(separator: ",").map(String.init) }
        var payload: [String: JSONValue] = ["json": true]
        var everything = all
        if let when = since {
            if filter.isEmpty { everything = true }
            payload["since"] = .double(when)
            start = max(when, try instanceStart(handle))
        }
        if jobs.isEmpty {
            if active { states += ["pending", "running"] }
            if everything {
                states += ["pending", "running", "inactive"]
                if start == nil { start = try instanceStart(handle) }
            }
            payload["filter"] = .string(states.joined(separator: ","))
            payload["count"] = .int(Int64(count ?? 1000))
        }
        // A job the job manager does not know (or will not show) gets its error line,
        // and the others are watched.
        var failed = false
        var known: [JobID] = []
        for id in jobs {
            do {
                try Jobs.info(handle, id)
                known.append(id)
            } catch {
                Main.printError("fluxs-watch", Jobs.message(id, error.message))
                failed = true
            }
        }
        if !jobs.isEmpty { payload["ids"] = .array(known.map(\.wire)) }
        let listed = jobs.isEmpty || !known.isEmpty
            ? try handle.rpc(.jobManager.list, .object(payload))["jobs"]?.arrayValue ?? [] : []
        if listed.isEmpty {
            writeStderr("fluxs-watch: No matching jobs\n")
            return failed ? 1 : 0
        }
        if verbose > 0 { writeStderr("fluxs-watch: Watching \(listed.count) jobs\n") }
        var showProgress = progress
        if showProgress && isatty(1) != 1 {
            writeStderr("fluxs-watch: warning: stdout is not a tty. Ignoring --progress option\n")
            showProgress = false
        }
        let watcher = JobWatcher(handle: handle, listed: listed, start: start, progress: showProgress, jps: jps,
                                 label: labelIO, verbose: verbose)
        let code = try watcher.run()
        return failed ? max(code, 1) : code
    }

    /// When the instance started (broker.starttime), the elapsed time's origin with --all.
    private func instanceStart(_ handle: FluxsHandle) throws(ServiceError) -> Double {
        let value = try handle.rpc(.attr.get, ["name": "broker.starttime"])["value"]
        return value?.stringValue.flatMap { Double($0) } ?? value?.doubleValue ?? TimeText.now()
    }
}

/// Follows the eventlogs and output of a set of jobs on one handle.
final class JobWatcher {
    /// One job being watched.
    private struct Job {
        let id: JobID
        /// Inactive when listed: read once, not watched.
        let inactive: Bool
        var status: JobProgressBar.Status
        var started = false
        var cleaned = false
        var outputSeen = false
        var done = false
        var eventlog = EventlogCursor()
        var output = EventlogCursor()
        var eventsSeen = false
    }

    private let handle: FluxsHandle
    private var jobs: [Job] = []
    /// Which job and which log a request's answers are about.
    private var requests: [UInt32: (job: Int, output: Bool)] = [:]
    private var remaining = 0
    private var exitCode: Int32 = 0
    /// The origin of the times that -v prints.
    private var origin: Double
    private var bar: JobProgressBar?
    private let label: Bool
    private let verbose: Int

    /// `listed`: the job-manager.list records of the jobs (id, status, t_submit).
    init(handle: FluxsHandle, listed: [JSONValue], start: Double?, progress: Bool, jps: Bool, label: Bool, verbose: Int) {
        self.handle = handle
        self.label = label
        self.verbose = verbose
        let earliest = listed.compactMap { $0["t_submit"]?.doubleValue }.min() ?? TimeText.now()
        origin = start ?? earliest
        if progress { bar = JobProgressBar(start: start ?? earliest, jps: jps) }
        for record in listed {
            guard let id = JobID(wire: record["id"]) else { continue }
            let status = Self.status(record["status"]?.stringValue ?? record["state"]?.stringValue ?? "")
            jobs.append(Job(id: id, inactive: record["state"]?.stringValue == "INACTIVE", status: status))
            bar?.add(status)
        }
        remaining = jobs.count
    }

    /// A listed status as the progress bar counts it.
    private static func status(_ name: String) -> JobProgressBar.Status {
        switch name {
        case "RUN", "CLEANUP": return .running
        case "COMPLETED": return .complete
        case "FAILED", "CANCELED", "TIMEOUT": return .failed
        default: return .pending
        }
    }

    /// Follows every job to its end; returns the largest exit code.
    func run() throws -> Int32 {
        var mask = sigset_t()
        sigemptyset(&mask)
        var signals: Int32 = -1
        var old = sigset_t()
        if bar != nil {
            // The terminal's scroll region must be given back on Ctrl-C.
            fluxs_sigset_add(&mask, SIGINT)
            fluxs_sigset_add(&mask, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &mask, &old)
            signals = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
            bar!.begin(now: TimeText.now())
        }
        defer {
            if signals >= 0 {
                close(signals)
                pthread_sigmask(SIG_SETMASK, &old, nil)
            }
        }
        for index in jobs.indices {
            let keys = JobKeys(jobs[index].id)
            for output in [false, true] {
                let key = JSONValue.object(["key": .string(output ? keys.output : keys.eventlog)]).compactBytes
                let tag = jobs[index].inactive ? try handle.sendRequest(.kvs.get, payload: key)
                    : try handle.sendRequest(.kvs.watch, payload: key, flags: .streaming)
                requests[tag] = (index, output)
            }
            try drain()
        }
        while remaining > 0 {
            var fds = [pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            if signals >= 0 { fds.append(pollfd(fd: signals, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), bar == nil ? -1 : 250) < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("poll: \(ServiceError.text(of: errno))")
            }
            if signals >= 0, fds[1].revents != 0 {
                var info = signalfd_siginfo()
                _ = read(signals, &info, MemoryLayout<signalfd_siginfo>.size)
                bar?.finish(now: TimeText.now())
                exit(128 + Int32(info.ssi_signo))
            }
            try drain()
            bar?.redraw(now: TimeText.now())
        }
        bar?.finish(now: TimeText.now())
        return exitCode
    }

    // MARK: - Answers

    /// Handles every message already arrived.
    private func drain() throws {
        while let message = try handle.receiveIfReady() {
            guard message.type == .response, let (index, output) = requests[message.matchtag] else { continue }
            let streaming = !jobs[index].inactive
            if !streaming || message.errnum != 0 { requests[message.matchtag] = nil }
            if message.errnum == ENOENT && !streaming {
                // Nothing stored: a job that never ran has no output log.
                if output { jobs[index].outputSeen = true } else { jobs[index].cleaned = true }
            } else if message.errnum != 0 {
                Main.printError("fluxs-watch", Jobs.message(jobs[index].id, ServiceError(response: message).message))
                exitCode = max(exitCode, 1)
                jobs[index].outputSeen = true
                jobs[index].cleaned = true
            } else {
                let body = try FluxsHandle.decode(message)
                if output {
                    try printOutput(index, body["value"])
                    jobs[index].outputSeen = true
                } else {
                    try events(index, body)
                    if !streaming { jobs[index].cleaned = true }
                }
            }
            let job = jobs[index]
            if !job.done && job.cleaned && job.outputSeen {
                jobs[index].done = true
                remaining -= 1
                bar?.advance(now: TimeText.now())
            }
        }
    }

    private func events(_ index: Int, _ body: JSONValue) throws {
        let key = JobKeys(jobs[index].id).eventlog
        let value = try KVS.watchedValue(body, key: key)
        guard case .string(let text)? = value else {
            // A log that disappears after it was seen: the job was purged.
            if value == nil, jobs[index].eventsSeen { jobs[index].cleaned = true }
            if value != nil { _ = try KVS.events(value, key: key) }
            return
        }
        let entries: [EventlogEntry]
        do { entries = try jobs[index].eventlog.newEntries(text) } catch {
            throw CommandFailure("\(key): \(error.message)")
        }
        for entry in entries {
            jobs[index].eventsSeen = true
            event(index, entry)
        }
    }

    /// One event of a job: the progress counts, the exit code, what -v and -vv print.
    private func event(_ index: Int, _ entry: EventlogEntry) {
        let context = entry.context ?? [:]
        let fatal = entry.name == "exception" && (context["severity"]?.intValue ?? 0) == 0
        let status = Int32(clamping: context["status"]?.intValue ?? 0)
        let was = jobs[index].status
        var now = was
        switch entry.name {
        case "alloc" where was == .pending: now = .running
        case "exception" where fatal && was == .pending: now = .failed
        case "finish" where was == .pending || was == .running: now = status == 0 ? .complete : .failed
        default: break
        }
        if now != was {
            jobs[index].status = now
            bar?.move(was, now)
        }
        if entry.timestamp < origin { origin = entry.timestamp }
        if verbose > 1 {
            let context = entry.context.map { " " + JSONValue.object($0).compactText } ?? ""
            log(index, entry.timestamp, entry.name + context)
        }
        switch entry.name {
        case "exception" where fatal:
            if !jobs[index].started { exitCode = max(exitCode, 1) }
            let note = context["note"]?.stringValue ?? ""
            writeStderr("job.exception: type=\(context["type"]?.stringValue ?? "?") severity=0\(note.isEmpty ? "" : " " + note)\n")
        case "start":
            jobs[index].started = true
        case "finish":
            exitCode = max(exitCode, Self.exitCode(status))
            if verbose > 0 { log(index, entry.timestamp, "\(status == 0 ? "complete" : "failed"): status=\(status)") }
        case "clean":
            jobs[index].cleaned = true
        default:
            break
        }
    }

    /// A wait status as a shell gives it: the exit code, or 128 + the signal.
    static func exitCode(_ status: Int32) -> Int32 {
        let signo = status & 0x7f
        return signo != 0 ? 128 + signo : (status >> 8) & 0xff
    }

    /// "ƒID: SECONDS: MESSAGE" on stderr, SECONDS since the origin.
    private func log(_ index: Int, _ timestamp: Double, _ message: String) {
        let dt = TimeText.fixed(timestamp - origin, 3)
        writeStderr("\(Jobs.show(jobs[index].id)): \(String(repeating: " ", count: max(0, 4 - dt.count)))\(dt)s: \(message)\n")
    }

    private func printOutput(_ index: Int, _ value: JSONValue?) throws {
        guard case .string(let text)? = value else { return }
        let entries: [EventlogEntry]
        do { entries = try jobs[index].output.newEntries(text) } catch {
            throw CommandFailure("\(JobKeys(jobs[index].id).output): \(error.message)")
        }
        for entry in entries {
            guard case .data(let stream, let ranks, let data)? = OutputRecord(entry), !data.isEmpty else { continue }
            var shown = data
            if label {
                // flux-core's form: "ID: RANKS: LINE", every line ended.
                let prefix = Jobs.show(jobs[index].id) + ": " + ranks + ": "
                var lines = data.split(separator: "\n", omittingEmptySubsequences: false)
                if lines.last == "" { lines.removeLast() }
                shown = lines.map { prefix + $0 + "\n" }.joined()
            }
            Descriptors.writeAll(stream == "stderr" ? 2 : 1, shown)
        }
    }
}
