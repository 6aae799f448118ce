// `fluxs job info|status|wait|last|purge|timeleft`: what the job manager and the KVS
// know about jobs, waiting for their end, forgetting inactive ones, and the time left.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
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
                value = try handle.rpc(.kvs.get, ["key": .string(JobKeys(job).key(key))])["value"] ?? .null
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
        self.id = JobID(wire: response["id"]) ?? id
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

    /// Waits for `id` (nil: the caller's job that ended first and was not yet waited
    /// for, or the next to end), reaping it as wait(2) does unless `reap` is false.
    static func wait(_ handle: FluxsHandle, _ id: JobID?, reap: Bool = true) throws(ServiceError) -> JobOutcome {
        var payload: [String: JSONValue] = [:]
        if let id { payload["id"] = id.wire }
        if !reap { payload["reap"] = false }
        return JobOutcome(try handle.rpc(.jobManager.wait, .object(payload)), id: id ?? JobID(0))
    }

    /// Waits for every job of `ids` with up to 256 requests in flight, and hands each
    /// outcome (or the job manager's refusal) to `each`, in the order of `ids`. Throws
    /// only when the connection fails.
    static func waitAll(_ handle: FluxsHandle, _ ids: [JobID], reap: Bool = true,
                        each: (Int, Result<JobOutcome, ServiceError>) -> Void) throws(ServiceError) {
        var tags: [UInt32] = []
        var next = 0
        for index in ids.indices {
            while next < ids.count && tags.count < 256 {
                var payload: [String: JSONValue] = ["id": ids[next].wire]
                if !reap { payload["reap"] = false }
                tags.append(try handle.sendRequest(.jobManager.wait, payload: JSONValue.object(payload).compactBytes))
                next += 1
            }
            let response = try handle.response(matchtag: tags.removeFirst())
            if response.errnum != 0 {
                each(index, .failure(ServiceError(response: response)))
            } else {
                each(index, .success(JobOutcome(try FluxsHandle.decode(response), id: ids[index])))
            }
        }
    }
}

/// Waits for jobs and exits with their largest exit code.
struct JobStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Wait for jobs to end; exit with the largest of their exit codes.",
        discussion: "A job that ended by an exception without an exit code of its own counts as --exception-exit-code.")
    @Option(name: [.customShort("e", allowingJoined: true), .customLong("exception-exit-code")],
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
                outcome = try JobOutcome.wait(handle, job, reap: false)
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
            As wait(2): each job that ended is waited for once. With ID: exits 0 if the job \
            succeeded, else prints why and exits 1. Without ID: waits for the caller's job \
            that ended first and was not yet waited for (or the next to end) and prints its \
            id. With --all: does so until none is left, exits 0, or 1 if any failed. Exit \
            status 2: the job is unknown or was already waited for, or (without --all) there \
            is nothing left to wait for.
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
        // Each wait reaps one job; ECHILD says there is none left (for --all, the end).
        var failed = false
        repeat {
            let outcome: JobOutcome
            do {
                outcome = try JobOutcome.wait(handle, nil)
            } catch where all && error.errnum == ECHILD {
                break
            } catch {
                throw CommandFailure(error.message, exitCode: 2)
            }
            print(Jobs.show(outcome.id))
            fflush(nil)
            if !outcome.success {
                failed = true
                Main.printError(Jobs.tool, "\(Jobs.show(outcome.id)): \(outcome.summary)")
            } else if verbose {
                writeStderr("\(Jobs.show(outcome.id)): \(outcome.summary)\n")
            }
        } while all
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
        let response = try Instance.with { try $0.rpc(.jobManager.last, ["count": .int(Int64(count))]) }
        let ids = (response["ids"]?.arrayValue ?? []).compactMap { JobID(wire: $0) }
        if ids.isEmpty { throw CommandFailure("no jobs have been submitted") }
        for id in ids { print(Jobs.show(id)) }
    }
}

/// Forgets inactive jobs, as flux job purge does: only with -f, --force; without it,
/// says how many would go.
struct JobPurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Remove inactive jobs from the job manager and the KVS.",
        discussion: """
            Jobs are chosen by ID, or else by the limits (oldest first; none without a limit). \
            Without -f only prints "use --force to purge N of M inactive jobs"; with -f purges \
            them and prints "purged N inactive jobs, M remaining".
            """)
    @Option(help: ArgumentHelp("Purge inactive jobs that ended more than DURATION ago.", valueName: "DURATION"))
    var ageLimit: String?
    @Option(help: ArgumentHelp("Purge the oldest inactive jobs until at most N are left.", valueName: "N"))
    var numLimit: Int?
    @Flag(name: [.customShort("f"), .long], help: "Purge (without it, only say how many jobs would go).")
    var force = false
    @Flag(name: [.customShort("q"), .long], help: "Print nothing.")
    var quiet = false
    @Argument(help: "Inactive jobs to purge (instead of the limits).")
    var ids: [String] = []

    func validate() throws {
        if let ageLimit {
            do { _ = try FluxDuration.parse(ageLimit) } catch { throw ValidationError("--age-limit: \(error.message)") }
        }
        if let numLimit, numLimit < 0 { throw ValidationError("--num-limit must be 0 or more") }
        if !ids.isEmpty, ageLimit != nil || numLimit != nil {
            throw ValidationError("job ids and --age-limit or --num-limit exclude each other")
        }
    }

    func run() throws {
        let handle = try Instance.connect()
        let age = try ageLimit.map { try FluxDuration.parse($0) }
        var count = 0
        do {
            if !ids.isEmpty {
                for job in try Jobs.parse(ids) {
                    if force {
                        let reply = try handle.rpc(.jobManager.purgeID, ["id": job.wire])
                        count += Int(reply["count"]?.intValue ?? 0)
                        continue
                    }
                    guard try Jobs.info(handle, job)["state"]?.stringValue == "INACTIVE" else {
                        throw CommandFailure(Jobs.message(job, "cannot purge active job"))
                    }
                    count += 1
                }
            } else if force {
                var payload: [String: JSONValue] = [:]
                if let age { payload["age"] = .double(age) }
                if let numLimit { payload["num"] = .int(Int64(numLimit)) }
                count = Int(try handle.rpc(.jobManager.purge, .object(payload))["count"]?.intValue ?? 0)
            } else {
                count = Self.eligible(try Self.inactiveTimes(handle), age: age, num: numLimit, now: TimeText.now())
            }
            let inactive = try Self.inactiveTimes(handle).count
            if quiet { return }
            if force {
                print("purged \(count) inactive jobs, \(inactive) remaining")
            } else {
                print("use --force to purge \(count) of \(inactive) inactive jobs")
            }
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
    }

    /// When each inactive job of every user became inactive.
    static func inactiveTimes(_ handle: FluxsHandle) throws(ServiceError) -> [Double] {
        let list = try handle.rpc(.jobManager.list, ["filter": "inactive", "userid": -1, "json": true, "count": 0])
        return (list["jobs"]?.arrayValue ?? []).map { $0["t_inactive"]?.doubleValue ?? 0 }
    }

    /// How many of the jobs that became inactive at `times` the limits select, as the job
    /// manager's purge chooses them: oldest first, while older than `age` or more than
    /// `num` are left.
    static func eligible(_ times: [Double], age: Double?, num: Int?, now: Double) -> Int {
        var count = 0
        for time in times.sorted() {
            let tooOld = age.map { now - time > $0 } ?? false
            let tooMany = num.map { times.count - count > $0 } ?? false
            guard tooOld || tooMany else { break }
            count += 1
        }
        return count
    }
}

/// Prints the time left before a job's time limit (or the instance's), as flux job
/// timeleft does: whole seconds (at least 1 while any is left), 0 once it has passed or
/// the job has ended, 4294967295 (UINT_MAX) without a limit; -H: a Flux Standard Duration.
struct JobTimeleftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeleft", abstract: "Print the seconds left before the time limit of a job or of this instance.",
        discussion: """
            Without ID: the job this runs in (FLUXS_JOB_ID), else the instance (the expiration \
            of its R). A job that has ended has 0 left; one without a limit, 4294967295 \
            (infinity with -H). A pending job is an error.
            """)
    @Flag(name: [.customShort("H"), .long], help: "Print a Flux Standard Duration instead of seconds.")
    var human = false
    @Argument(help: "The job (default: FLUXS_JOB_ID, else the instance).")
    var id: String?

    func run() throws {
        let handle = try Instance.connect()
        let expiration: Double
        if let text = id ?? ProcessEnvironment.current["FLUXS_JOB_ID"] {
            let job = try Jobs.parse(text)
            let record: JSONValue
            do { record = try Jobs.info(handle, job) } catch { throw CommandFailure(Jobs.message(job, error.message)) }
            switch record["state"]?.stringValue {
            case "RUN": expiration = record["expiration"]?.doubleValue ?? 0
            case "CLEANUP", "INACTIVE": expiration = 1
            default: throw CommandFailure("job \(Jobs.show(job)) has not started")
            }
        } else {
            expiration = try ResourceSnapshot.fetch(handle).R.expiration
        }
        let left = expiration == 0 ? Double.infinity : max(0, expiration - TimeText.now())
        if human {
            print(FluxDuration.format(left))
        } else if left.isInfinite {
            print(UInt32.max)
        } else {
            print(left > 0 && left < 1 ? 1 : Int(left.rounded(.down)))
        }
    }
}
