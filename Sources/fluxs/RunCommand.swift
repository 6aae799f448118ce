// `fluxs run`: submit a job, then follow it as `fluxs job attach` does (its output,
// stdin sent to its tasks unless --input names a file, Ctrl-C), and exit with its
// exit code (man fluxs-run(1)).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage

/// Runs a job in the foreground.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job: submit it, print its output, exit with its exit code.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @Flag(name: [.customShort("v"), .long], help: "Print \"jobid: ID\" on stderr once the job is submitted.")
    var verbose: Int
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        try submission.requireProgram(command, command: Self.self)
    }

    func run() throws {
        var submission = self.submission
        let program = try submission.takeProgram(command, command: Self.self)
        let forward = submission.input == nil
        if forward { submission.setopt.append("input.stdin={\"type\":\"service\"}") }
        let jobspec = try submission.jobspec(command: program)
        let handle = try Instance.connect()
        let code: Int32
        do {
            let id = try Jobs.submit(handle, jobspec, urgency: submission.urgencyValue)
            if verbose > 0 { writeStderr("jobid: \(Jobs.show(id))\n") }
            code = try JobAttach(handle: handle, id: id, program: "fluxs-run", forwardInput: forward,
                                 label: submission.labelIO && submission.output == nil, writesInputHeader: forward).run()
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

