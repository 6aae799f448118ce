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
            code = try JobAttach(handle: handle, id: id, program: "fluxs-run", forwardInput: forward,
                                 label: submission.labelIO && submission.output == nil, writesInputHeader: forward).run()
        } catch let error as ServiceError {
            throw CommandFailure(error.message)
        }
        if code != 0 { throw ExitCode(code) }
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
            second one within 2 s cancels the job.
            """)
    @Flag(name: [.customShort("l"), .long], help: "Prefix each output line with the task rank.")
    var labelIO = false
    @Option(help: ArgumentHelp("Send standard input to these task ranks only (default all).", valueName: "IDSET"))
    var stdinRanks: String?
    @Flag(name: [.customShort("r"), .long], help: "Do not send standard input.")
    var readOnly = false
    @Argument(help: "The job (any id form).")
    var id: String

    func validate() throws {
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
                let spec = try? handle.rpc("kvs.get", ["key": .string(Jobs.key(job, "jobspec"))])["value"]
                forward = spec?["attributes"]?["system"]?["shell"]?["options"]?["input"]?["stdin"]?["type"]?.stringValue == "service"
            }
            return try JobAttach(handle: handle, id: job, program: "fluxs-job", forwardInput: forward,
                                 stdinRanks: stdinRanks ?? "all", label: labelIO).run()
        }
        if code != 0 { throw ExitCode(code) }
    }
}
