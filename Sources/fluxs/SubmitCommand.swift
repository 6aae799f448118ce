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
        if try CommandArguments(command, joinedLetters: ["S": "setattr"], command: Self.self).program.isEmpty {
            throw ValidationError("missing the command to run")
        }
    }

    func run() throws {
        let words = try CommandArguments(command, joinedLetters: ["S": "setattr"], command: Self.self)
        var submission = self.submission
        submission.setattr += words.joined["S"] ?? []
        let jobspec = try submission.jobspec(command: words.program)
        guard dryRun else {
            throw CommandFailure("this fluxs cannot submit to an instance yet (the job manager comes with M7); use --dry-run")
        }
        print(jobspec.json.prettyText)
    }
}
