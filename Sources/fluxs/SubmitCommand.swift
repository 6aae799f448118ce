// `fluxs submit`: describe a job with the submission options and send it to the job
// manager (job-manager.submit), printing its id; --dry-run prints the jobspec instead.
// --cc submits one copy per index of an idset.
import ArgumentParser
import FluxsFormats
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
    @Option(help: ArgumentHelp("Submit one copy of the job per index in IDSET; {cc} in the command and --job-name becomes the index.", valueName: "IDSET"))
    var cc: String?
    @Flag(help: "Do not print the job ids.")
    var quiet = false
    @Flag(help: "Print the jobspec as JSON instead of submitting it.")
    var dryRun = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        if try CommandArguments(command, joinedLetters: ["S": "setattr"], command: Self.self).program.isEmpty {
            throw ValidationError("missing the command to run")
        }
        if let cc {
            do {
                if try IDSet(parsing: cc).isEmpty { throw ValidationError("--cc: the idset is empty") }
            } catch let error as ParseError {
                throw ValidationError("--cc: \(error.message)")
            }
        }
    }

    func run() throws {
        let words = try CommandArguments(command, joinedLetters: ["S": "setattr"], command: Self.self)
        var submission = self.submission
        submission.setattr += words.joined["S"] ?? []
        let indexes: [UInt32?] = try cc.map { try Array(IDSet(parsing: $0)).map { Optional($0) } } ?? [nil]
        var jobspecs: [Jobspec] = []
        for index in indexes { jobspecs.append(try submission.jobspec(command: words.program, cc: index)) }
        if dryRun {
            for jobspec in jobspecs { print(jobspec.json.prettyText) }
            return
        }
        try Instance.with { handle in
            for jobspec in jobspecs {
                var payload: [String: JSONValue] = ["jobspec": jobspec.json]
                if let urgency = submission.urgencyValue { payload["urgency"] = .int(Int64(urgency)) }
                let response = try handle.rpc("job-manager.submit", .object(payload))
                guard let id = Jobs.id(response["id"]) else {
                    throw CommandFailure("job-manager.submit: the response holds no job id")
                }
                if !quiet {
                    print(Jobs.show(id))
                    fflush(nil)
                }
            }
        }
    }
}
