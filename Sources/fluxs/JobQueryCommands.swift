// `fluxs job info|status|wait|last|purge`: what the job manager and the KVS know about
// jobs, waiting for their end, and forgetting inactive ones.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// Prints what is stored for a job.
struct JobInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print a job's jobspec, R or eventlog as stored, or its record.",
        discussion: """
            KEY names a value in the job's KVS directory: jobspec, R (once resources are \
            allocated) or eventlog. Without KEY, the job manager's record of the job is \
            printed as JSON (the object fluxs jobs --json gives).
            """)
    @Argument(help: "The job (any id form).")
    var id: String
    @Argument(help: "jobspec, R or eventlog.")
    var key: String?

    func validate() throws {
        if let key, let problem = KVS.keyProblem(key) { throw ValidationError(problem) }
    }

    func run() throws {
        let job = try Jobs.parse(id)
        try Jobs.on(job) { handle in
            let record = try Jobs.info(handle, job)
            guard let key else {
                print(record.compactText)
                return
            }
            let value: JSONValue
            do {
                value = try handle.rpc("kvs.get", ["key": .string(Jobs.key(job, key))])["value"] ?? .null
            } catch let error as ServiceError where error.errnum == ENOENT {
                let why = key == "R" ? " (no resources were allocated to it)" : ""
                throw CommandFailure("job \(Jobs.show(job)) has no \(key)\(why)")
            }
            KVS.printValue(value)
        }
    }
}

/// How job-manager.wait reports a job's end.
struct JobOutcome {
    var id: JobID
    var success: Bool
    var result: String
    var returncode: Int?
    var errstr: String?

    init(_ response: JSONValue, id: JobID) {
        self.id = Jobs.id(response["id"]) ?? id
        success = response["success"]?.boolValue ?? false
        result = response["result"]?.stringValue ?? (success ? "COMPLETED" : "FAILED")
        returncode = response["returncode"]?.intValue.map { Int($0) }
        errstr = response["errstr"]?.stringValue
    }

    /// What happened, in a few words.
    var summary: String {
        if let errstr, !errstr.isEmpty { return errstr }
        if let returncode, returncode >= 0 { return "exited with exit code \(returncode)" }
        if let returncode, returncode < 0, returncode > -128 { return "killed by signal \(-returncode)" }
        return result
    }

    /// The job's exit code as a shell would give it: its own, 128 + N when signal N
    /// killed it, `exceptionExitCode` when it ended by an exception without running.
    func exitCode(exceptionExitCode: Int32 = 1) -> Int32 {
        if success { return 0 }
        if let returncode, returncode > 0 { return Int32(clamping: returncode) }
        if let returncode, returncode < 0, returncode > -128 { return 128 + Int32(-returncode) }
        return exceptionExitCode
    }

    /// Waits for `id` (nil: the caller's next job to end).
    static func wait(_ handle: FluxsHandle, _ id: JobID?) throws(ServiceError) -> JobOutcome {
        let payload: JSONValue = id.map { ["id": Jobs.wire($0)] } ?? [:]
        return JobOutcome(try handle.rpc("job-manager.wait", payload), id: id ?? JobID(0))
    }
}

/// Waits for jobs and exits with their largest exit code.
struct JobStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Wait for jobs to end; exit with the largest of their exit codes.",
        discussion: "A job that ended by an exception without an exit code of its own counts as --exception-exit-code.")
    @Option(name: [.customShort("e"), .customLong("exception-exit-code")],
            help: ArgumentHelp("The exit code of a job ended by an exception (default 1).", valueName: "N"))
    var exceptionExitCode: Int32 = 1
    @Flag(name: [.customShort("v"), .long], help: "Print how each job ended.")
    var verbose = false
    @Argument(help: "The jobs (any id form).")
    var ids: [String]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("missing the job ids") }
        if !(0...255).contains(exceptionExitCode) { throw ValidationError("--exception-exit-code must be 0-255") }
    }

    func run() throws {
        let jobs = try Jobs.parse(ids)
        let handle = try Instance.connect()
        var code: Int32 = 0
        for job in jobs {
            let outcome: JobOutcome
            do {
                outcome = try JobOutcome.wait(handle, job)
            } catch {
                Main.printError(Jobs.tool, Jobs.message(job, error.message))
                code = max(code, 1)
                continue
            }
            let exit = outcome.exitCode(exceptionExitCode: exceptionExitCode)
            if verbose { writeStderr("\(Jobs.show(job)): \(outcome.summary)\n") }
            code = max(code, exit)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// Waits for jobs to end, as wait(2) does for processes.
struct JobWaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait", abstract: "Wait for a job (or the next one, or all) to end.",
        discussion: """
            With ID: exits 0 if the job succeeded, else prints why and exits 1. Without ID: \
            waits for the caller's next job to end and prints its id. With --all: waits for \
            every active job of the caller, printing their ids as they end; exits 1 if any \
            failed. Exit status 2: the job is unknown, or there is nothing to wait for.
            """)
    @Flag(name: [.customShort("a"), .long], help: "Wait for all the caller's active jobs.")
    var all = false
    @Flag(name: [.customShort("v"), .long], help: "Say how each job ended, not only the failed ones.")
    var verbose = false
    @Argument(help: "The job (any id form).")
    var id: String?

    func validate() throws {
        if all && id != nil { throw ValidationError("give a job id or --all, not both") }
    }

    func run() throws {
        let job = try id.map { text throws(CommandFailure) in try Jobs.parse(text) }
        let handle = try Instance.connect()
        if let job {
            let outcome: JobOutcome
            do {
                outcome = try JobOutcome.wait(handle, job)
            } catch {
                throw CommandFailure(Jobs.message(job, error.message), exitCode: 2)
            }
            if !outcome.success { throw CommandFailure("\(Jobs.show(job)): \(outcome.summary)") }
            return
        }
        // The service waits for the next job of the caller to end, even when none is
        // active: count the active ones first.
        let active: Int
        do {
            let list = try handle.rpc("job-manager.list", ["filter": "active", "json": true, "count": 0])
            active = list["jobs"]?.arrayValue?.count ?? 0
        } catch {
            throw CommandFailure(error.message, exitCode: 2)
        }
        if active == 0 { throw CommandFailure("there are no active jobs to wait for", exitCode: 2) }
        var failed = false
        for _ in 0..<(all ? active : 1) {
            let outcome: JobOutcome
            do { outcome = try JobOutcome.wait(handle, nil) } catch { throw CommandFailure(error.message, exitCode: 2) }
            print(Jobs.show(outcome.id))
            fflush(nil)
            if !outcome.success {
                failed = true
                Main.printError(Jobs.tool, "\(Jobs.show(outcome.id)): \(outcome.summary)")
            } else if verbose {
                writeStderr("\(Jobs.show(outcome.id)): \(outcome.summary)\n")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// Prints the caller's most recent jobs.
struct JobLastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "last", abstract: "Print the ids of the caller's most recently submitted jobs, newest first.")
    @Argument(help: "How many (default 1).")
    var count: Int = 1

    func validate() throws {
        if count < 1 { throw ValidationError("the count must be 1 or more") }
    }

    func run() throws {
        let response = try Instance.with { try $0.rpc("job-manager.last", ["count": .int(Int64(count))]) }
        let ids = (response["ids"]?.arrayValue ?? []).compactMap { Jobs.id($0) }
        if ids.isEmpty { throw CommandFailure("no jobs have been submitted") }
        for id in ids { print(Jobs.show(id)) }
    }
}

/// Forgets inactive jobs.
struct JobPurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Remove inactive jobs from the job manager and the KVS.",
        discussion: "With no limit, every inactive job is purged. Prints how many were.")
    @Option(help: ArgumentHelp("Purge inactive jobs that ended more than DURATION ago.", valueName: "DURATION"))
    var ageLimit: String?
    @Option(help: ArgumentHelp("Purge the oldest inactive jobs until at most N are left.", valueName: "N"))
    var numLimit: Int?
    @Flag(name: [.customShort("q"), .long], help: "Print nothing.")
    var quiet = false

    func validate() throws {
        if let ageLimit {
            do { _ = try FluxDuration.parse(ageLimit) } catch { throw ValidationError("--age-limit: \(error.message)") }
        }
        if let numLimit, numLimit < 0 { throw ValidationError("--num-limit must be 0 or more") }
    }

    func run() throws {
        var payload: [String: JSONValue] = [:]
        if let ageLimit { payload["age"] = .double(try FluxDuration.parse(ageLimit)) }
        if let numLimit { payload["num"] = .int(Int64(numLimit)) }
        let count = try Instance.with { try $0.rpc("job-manager.purge", .object(payload)) }["count"]?.intValue ?? 0
        if !quiet { print("purged \(count) inactive job\(count == 1 ? "" : "s")") }
    }
}
