// `fluxs job`: per-job tools: `fluxs job id` converts job ids between the RFC 19 text
// forms (no instance needed); the others talk to the job manager (man fluxs-job(1)):
// eventlog and wait-event (JobEventlogCommand.swift), urgency, hold, release, expedite,
// raise and kill (JobControlCommands.swift), info, status, wait, last, purge and
// timeleft (JobQueryCommands.swift), attach (RunCommand.swift, JobAttach.swift),
// submit (JobSubmitCommand.swift), raiseall and killall (JobBulkControlCommands.swift).
import ArgumentParser
import FluxsFormats

/// Per-job tools.
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Per-job tools.",
        subcommands: [
            JobIDCommand.self, JobEventlogCommand.self, JobWaitEventCommand.self, JobInfoCommand.self,
            JobUrgencyCommand.self, JobHoldCommand.self, JobReleaseCommand.self, JobExpediteCommand.self,
            JobRaiseCommand.self, JobKillCommand.self, JobStatusCommand.self, JobWaitCommand.self,
            JobLastCommand.self, JobPurgeCommand.self, JobTimeleftCommand.self, JobAttachCommand.self,
            JobSubmitCommand.self, JobRaiseallCommand.self, JobKillallCommand.self,
        ])
}

/// Converts job ids between text forms.
struct JobIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Convert job ids between decimal, hex, dothex, kvs, f58 and words.",
        discussion: "Any form is accepted as input; ids are read from stdin, one per line, when none are given.")

    @Option(help: "Output form: dec, hex, dothex, kvs, f58, f58plain or words.")
    var to: String = "dec"
    @Argument(help: "Job ids in any form.")
    var ids: [String] = []

    func run() throws {
        let form: JobIDForm
        switch to {
        case "f58": form = Terminal.f58Form
        default:
            guard let f = JobIDForm(rawValue: to) else {
                throw CommandFailure("--to: unknown form \"\(to)\" (dec, hex, dothex, kvs, f58, f58plain, words)", exitCode: 2)
            }
            form = f
        }
        let inputs = ids.isEmpty
            ? try Terminal.readStandardInput().split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            : ids
        for text in inputs {
            do {
                print(try JobID(parsing: text).formatted(form))
            } catch {
                throw CommandFailure(error.message)
            }
        }
    }
}
