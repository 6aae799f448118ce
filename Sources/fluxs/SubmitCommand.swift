// `fluxs submit`: describe a job with the submission options and submit it. Until the
// job manager exists (M7), only --dry-run is possible: it prints the jobspec as JSON.
import ArgumentParser
import FluxsFormats

/// Submits a job (for now: prints the jobspec it would submit).
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to an instance.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @Flag(help: "Print the jobspec as JSON instead of submitting it.")
    var dryRun = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("missing the command to run") }
    }

    func run() throws {
        let jobspec = try submission.jobspec(command: command)
        guard dryRun else {
            throw CommandFailure("this fluxs cannot submit to an instance yet (the job manager comes with M7); use --dry-run")
        }
        print(jobspec.json.prettyText)
    }
}
