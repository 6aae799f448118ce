// `fluxs submit`: describe a job with the submission options and send it to the job
// manager (job-manager.submit), printing its id; --dry-run prints the jobspec instead.
// The flags for copies (--cc, --bcc) and for what follows the submission (--quiet,
// --wait, --watch) are shared with `fluxs bulksubmit` (SubmitFlags).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
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
        var jobspecs: [Jobspec] = []
        for copy in try flags.copies() {
            jobspecs.append(try submission.jobspec(command: program, cc: copy, ccEnvironment: flags.cc != nil))
        }
        if dryRun {
            for jobspec in jobspecs { print(jobspec.json.prettyText) }
            return
        }
        try flags.submit(jobspecs, urgency: submission.urgencyValue, program: "fluxs-submit")
    }
}

/// --cc, --bcc, --quiet, --wait and --watch.
struct SubmitFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Submit one copy of the job per index in IDSET; {cc} in the command and --job-name becomes the index, FLUXS_JOB_CC holds it.", valueName: "IDSET"))
    var cc: String?
    @Option(help: ArgumentHelp("As --cc, without FLUXS_JOB_CC.", valueName: "IDSET"))
    var bcc: String?
    @Flag(help: "Do not print the job ids.")
    var quiet = false
    @Flag(help: "Wait for the jobs to end; exit with the largest exit code.")
    var wait = false
    @Flag(help: "Print the jobs' output as they run; exit with the largest exit code.")
    var watch = false

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
    }

    /// The copy indexes to submit: one nil without --cc or --bcc.
    func copies() throws -> [UInt32?] {
        guard let set = cc ?? bcc else { return [nil] }
        return try Array(IDSet(parsing: set)).map { Optional($0) }
    }

    /// Submits `jobspecs` in order, printing ids unless --quiet; then waits for or
    /// watches them, exiting with the largest exit code.
    func submit(_ jobspecs: [Jobspec], urgency: Int?, program: String) throws {
        let handle = try Instance.connect()
        var ids: [JobID] = []
        do throws(ServiceError) {
            ids = try Jobs.submit(handle, jobspecs, urgency: urgency) { id in
                if !quiet {
                    print(Jobs.show(id))
                    fflush(nil)
                }
            }
        } catch {
            throw CommandFailure(error.message)
        }
        var code: Int32 = 0
        if watch {
            for id in ids {
                code = max(code, try JobAttach(handle: handle, id: id, program: program, forwardInput: false).run())
            }
        } else if wait {
            for id in ids {
                do {
                    code = max(code, try JobOutcome.wait(handle, id, reap: false).exitCode())
                } catch {
                    Main.printError(program, Jobs.message(id, error.message))
                    code = max(code, 1)
                }
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
