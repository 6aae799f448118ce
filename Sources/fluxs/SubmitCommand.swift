// `fluxs submit`: describe a job with the submission options and send it to the job
// manager (job-manager.submit), printing its id; --dry-run prints the jobspec instead.
// The flags for copies (--cc, --bcc) and for what follows the submission (--quiet,
// --wait, --watch) are shared with `fluxs bulksubmit` (SubmitFlags).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Submits jobs.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to an instance.",
        discussion: "Prints the id of each job submitted, one a line.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @OptionGroup
    var flags: SubmitFlags
    @Flag(help: "Print the jobspec as JSON instead of submitting it.")
    var dryRun = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        try submission.requireProgram(command, command: Self.self)
        try flags.validate()
    }

    func run() throws {
        var submission = self.submission
        let program = try submission.takeProgram(command, command: Self.self)
        let copies = try flags.copies()
        let ccEnvironment = flags.cc != nil
        // The first copy is made now, so that a bad option is refused before any job is
        // submitted; the others as they are sent.
        let first = try submission.jobspec(command: program, cc: copies[0], ccEnvironment: ccEnvironment)
        if dryRun {
            print(first.json.prettyText)
            for copy in copies.dropFirst() { print(try submission.jobspec(command: program, cc: copy, ccEnvironment: ccEnvironment).json.prettyText) }
            return
        }
        let logs = copies.map { flags.logs(cc: $0) }
        try flags.submit(count: copies.count, logs: logs, urgency: submission.urgencyValue, program: "fluxs-submit") { (index) throws(ServiceError) in
            if index == 0 { return first }
            do throws(CommandFailure) {
                return try submission.jobspec(command: program, cc: copies[index], ccEnvironment: ccEnvironment)
            } catch {
                throw ServiceError(EINVAL, error.message)
            }
        }
    }
}

/// --cc, --bcc, --quiet, --log, --log-stderr, --wait, --wait-event, --watch and -v.
struct SubmitFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Submit one copy of the job per index in IDSET; {cc} in the command and --job-name becomes the index, FLUXS_JOB_CC holds it.", valueName: "IDSET"))
    var cc: String?
    @Option(help: ArgumentHelp("As --cc, without FLUXS_JOB_CC.", valueName: "IDSET"))
    var bcc: String?
    @Flag(help: "Do not print the job ids.")
    var quiet = false
    @Option(help: ArgumentHelp("Write what would go to stdout and stderr (the ids, errors) to FILE; {cc} and bulksubmit's {} are replaced.", valueName: "FILE"))
    var log: String?
    @Option(help: ArgumentHelp("Write what would go to stderr to FILE instead.", valueName: "FILE"))
    var logStderr: String?
    @Flag(help: "Wait for the jobs to end; exit with the largest exit code.")
    var wait = false
    @Option(help: ArgumentHelp("Wait until each job has event NAME in its eventlog (clean: as --wait).", valueName: "NAME"))
    var waitEvent: String?
    @Flag(help: "Print the jobs' output as they run; exit with the largest exit code.")
    var watch = false
    @Flag(name: [.customShort("v"), .long], help: "With --wait or --wait-event, log each job's end on stderr (\"ID: T.TTTs: complete: status=N\").")
    var verbose: Int

    func validate() throws {
        if cc != nil && bcc != nil { throw ValidationError("--cc and --bcc exclude each other") }
        for (name, value) in [("--cc", cc), ("--bcc", bcc)] {
            guard let value else { continue }
            do {
                if try IDSet(parsing: value).isEmpty { throw ValidationError("\(name): the idset is empty") }
            } catch let error as ParseError {
                throw ValidationError("\(name): \(error.message)")
            }
        }
        if waitEvent == "" { throw ValidationError("--wait-event: the event name is empty") }
        if let waitEvent, waitEvent.hasPrefix("exec.") {
            throw ValidationError("--wait-event=\(waitEvent): fluxs jobs have no exec eventlog")
        }
    }

    /// The copy indexes to submit: one nil without --cc or --bcc.
    func copies() throws -> [UInt32?] {
        guard let set = cc ?? bcc else { return [nil] }
        return try Array(IDSet(parsing: set)).map { Optional($0) }
    }

    /// Where one job's lines go: --log and --log-stderr with its placeholders filled in
    /// (nil: the terminal).
    struct Logs {
        var stdout: String?
        var stderr: String?
    }

    /// --log and --log-stderr for one job: `fill` replaces bulksubmit's placeholders, then
    /// {cc} becomes `cc`.
    func logs(cc: UInt32?, fill: (String) -> String = { $0 }) -> Logs {
        let substitute = { (text: String) in
            let filled = fill(text)
            return cc.map { filled.replacing("{cc}", with: String($0)) } ?? filled
        }
        return Logs(stdout: log.map(substitute), stderr: logStderr.map(substitute))
    }

    /// Submits `jobspecs` in order, printing ids unless --quiet (to each one's --log);
    /// then waits for or watches them, exiting with the largest exit code.
    func submit(_ jobspecs: [Jobspec], logs: [Logs]? = nil, urgency: Int?, program: String) throws {
        try submit(count: jobspecs.count, logs: logs, urgency: urgency, program: program) { jobspecs[$0] }
    }

    /// As above, with the jobspecs made as they are sent (see Jobs.submit).
    func submit(count: Int, logs: [Logs]? = nil, urgency: Int?, program: String,
                jobspec: (Int) throws(ServiceError) -> Jobspec) throws {
        let handle = try Instance.connect()
        var files = LogFiles()
        let logs = logs ?? Array(repeating: Logs(stdout: log, stderr: logStderr), count: count)
        let t0 = KVS.monotonic()
        var ids: [JobID] = []
        do throws(ServiceError) {
            ids = try Jobs.submit(handle, count: count, urgency: urgency, jobspec: jobspec) { id in
                if !quiet { files.write(Jobs.show(id) + "\n", to: logs[ids.count].stdout, fd: 1) }
                ids.append(id)
            }
        } catch {
            files.write("\(program): error: \(Terminal.localized(error.message))\n", to: logs[ids.count].stderr ?? logs[ids.count].stdout, fd: 2)
            throw ExitCode(1)
        }
        var code: Int32 = 0
        let awaited = waitEvent ?? (wait ? "clean" : nil)
        if watch {
            for id in ids {
                code = max(code, try JobAttach(handle: handle, id: id, program: program, forwardInput: false).run())
            }
        } else if awaited == "clean" {
            // Every wait is sent ahead (256 at a time), not one round trip after another.
            try JobOutcome.waitAll(handle, ids, reap: false) { index, result in
                let id = ids[index]
                let stderr = logs[index].stderr ?? logs[index].stdout
                switch result {
                case .success(let outcome):
                    code = max(code, outcome.exitCode())
                    if verbose > 0 {
                        let seconds = TimeText.fixed(KVS.monotonic() - t0, 3)
                        let status = outcome.success ? "complete" : "failed"
                        let rc = outcome.returncode ?? 0
                        let wstatus = rc >= 0 ? rc << 8 : -rc
                        files.write("\(Jobs.show(id)): \(seconds)s: \(status): status=\(wstatus)\n", to: stderr, fd: 2)
                    }
                case .failure(let error):
                    files.write("\(program): error: \(Terminal.localized(Jobs.message(id, error.message)))\n", to: stderr, fd: 2)
                    code = max(code, 1)
                }
            }
        } else if let awaited {
            for (id, log) in zip(ids, logs) {
                let stderr = log.stderr ?? log.stdout
                do {
                    try Self.waitForEvent(handle, id, awaited)
                } catch {
                    files.write("\(program): error: \(Terminal.localized(Jobs.message(id, Self.text(error))))\n", to: stderr, fd: 2)
                    code = max(code, 1)
                }
            }
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// The words of an error from waiting.
    static func text(_ error: any Error) -> String {
        if let error = error as? ServiceError { return error.message }
        if let error = error as? CommandFailure { return error.message }
        return "\(error)"
    }

    /// Waits until job `id` has `event` in its main eventlog; an error when the job's
    /// log ends (clean) without it.
    static func waitForEvent(_ handle: FluxsHandle, _ id: JobID, _ event: String) throws {
        let key = JobKeys(id).eventlog
        let never = CommandFailure("timed out")
        _ = try KVS.waitInEventlog(
            handle, payload: ["key": .string(key)], key: key, deadline: .infinity, timedOut: never, awaited: event,
            events: { (value) throws(CommandFailure) in try Jobs.events(value, id) }
        ) { entries in
            if let found = entries.first(where: { $0.name == event }) { return found }
            if entries.contains(where: { $0.name == "clean" }) {
                throw CommandFailure("ended (clean) without event \"\(event)\"")
            }
            return nil
        }
    }
}

/// The files of --log and --log-stderr, each opened (truncated) once and kept open, as
/// Flux's submit does.
struct LogFiles {
    private var open: [String: Int32] = [:]

    /// Writes `text` to the file at `path`, or to descriptor `fd` when `path` is nil (or
    /// cannot be opened: then an error on stderr once).
    mutating func write(_ text: String, to path: String?, fd: Int32) {
        var target = fd
        if let path {
            if let known = open[path] {
                target = known
            } else {
                let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
                if opened < 0 { writeStderr("fluxs: error: \(path): \(String(cString: strerror(errno)))\n") }
                open[path] = opened < 0 ? fd : opened
                target = open[path]!
            }
        }
        if target == 1 { fflush(nil) }
        var text = text
        text.withUTF8 { buf in _ = Glibc.write(target, buf.baseAddress, buf.count) }
    }
}
