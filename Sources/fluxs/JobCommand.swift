// `fluxs job`: per-job tools. For now `fluxs job id`, which converts job ids between
// the RFC 19 text forms.
import ArgumentParser
import FluxsFormats

/// Per-job tools.
struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "Per-job tools.",
        subcommands: [JobIDCommand.self])
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
