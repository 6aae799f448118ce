// `fluxs bulksubmit`: one job per input, as GNU parallel does (man fluxs-bulksubmit(1)).
// Inputs are the `:::` lists of the command line (several: their cross product, the
// first varying slowest) or, without any, the lines of standard input (or pieces split
// on --sep). `{}` is the input (the first list's with several), `{0}`, `{1}`, ... the
// value of each list, `{seq}` the job's index from 0, in the command and in the
// options that name things (--job-name, --output, --error, --input, --cwd, --env,
// --setattr, --setopt).
import ArgumentParser
import FluxsFormats

/// Submits one job per input.
struct BulksubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulksubmit",
        abstract: "Submit one job per input, substituting {} in the command.",
        discussion: "Inputs follow ':::' on the command line, or come from stdin, one a line.")

    @OptionGroup(title: "Submission options")
    var submission: SubmissionOptions
    @OptionGroup
    var flags: SubmitFlags
    @Option(help: ArgumentHelp("Split standard input on STR instead of newlines.", valueName: "STR"))
    var sep: String?
    @Flag(help: "Print the commands instead of submitting them.")
    var dryRun = false
    @Argument(parsing: .captureForPassthrough, help: "The command, its arguments, then ::: and inputs.")
    var command: [String] = []

    func validate() throws {
        var submission = self.submission
        let words = try submission.takeProgram(command, command: Self.self)
        if words.isEmpty || words.first == ":::" { throw ValidationError("missing the command to run") }
        if sep == "" { throw ValidationError("--sep: the separator is empty") }
        try flags.validate()
    }

    func run() throws {
        var submission = self.submission
        let words = try submission.takeProgram(command, command: Self.self)
        let (template, lists) = Self.split(words)
        let inputs = lists.isEmpty ? [try readInputs()] : lists
        var jobspecs: [Jobspec] = []
        var logs: [SubmitFlags.Logs] = []
        for (seq, tuple) in Self.product(inputs).enumerated() {
            let fill = { (text: String) in Self.fill(text, tuple, seq: seq) }
            let program = template.map(fill)
            if dryRun {
                print("bulksubmit: submit " + program.joined(separator: " "))
                continue
            }
            let options = submission.substituting(fill)
            for copy in try flags.copies() {
                jobspecs.append(try options.jobspec(command: program, cc: copy, ccEnvironment: flags.cc != nil))
                logs.append(flags.logs(cc: copy, fill: fill))
            }
        }
        if dryRun { return }
        try flags.submit(jobspecs, logs: logs, urgency: submission.urgencyValue, program: "fluxs-bulksubmit")
    }

    private func readInputs() throws -> [String] {
        let text = try Terminal.readStandardInput()
        let pieces = sep.map { text.split(separator: $0).map(String.init) } ?? text.split(separator: "\n").map(String.init)
        return pieces.filter { !$0.isEmpty && $0 != "\n" }.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }
    }

    /// The command's words, and the lists after each `:::`.
    static func split(_ words: [String]) -> ([String], [[String]]) {
        let parts = words.split(separator: ":::", omittingEmptySubsequences: false).map(Array.init)
        return (parts[0], Array(parts.dropFirst()))
    }

    /// Every combination of one value from each list, the first list varying slowest.
    static func product(_ lists: [[String]]) -> [[String]] {
        lists.reduce([[]]) { tuples, list in tuples.flatMap { tuple in list.map { tuple + [$0] } } }
    }

    /// `text` with {}, {N} and {seq} filled in.
    static func fill(_ text: String, _ tuple: [String], seq: Int) -> String {
        guard text.contains("{") else { return text }
        var out = text.replacing("{}", with: tuple.first ?? "").replacing("{seq}", with: String(seq))
        for (index, value) in tuple.enumerated() { out = out.replacing("{\(index)}", with: value) }
        return out
    }
}
