// `fluxs jobspec validate FILE...|-`: checks jobspec documents (YAML or JSON) against
// jobspec version 1 (RFC 14, RFC 25) and prints one line per problem: `FILE: path: rule`.
import ArgumentParser
import FluxsFormats
import FluxsYAML

/// Jobspec tools.
struct JobspecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobspec",
        abstract: "Work with jobspec documents.",
        subcommands: [JobspecValidateCommand.self])
}

/// Validates jobspec files.
struct JobspecValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check jobspec files (YAML or JSON) against jobspec version 1.",
        discussion: "Exits 0 when every file is valid; otherwise prints FILE: path: rule for each problem and exits 1.")

    @Flag(name: .shortAndLong, help: "Print nothing for valid files (the default); with -v print FILE: ok.")
    var verbose = false
    @Argument(help: "Jobspec files, or - for stdin.")
    var files: [String]

    func run() throws {
        var invalid = false
        for file in files {
            let name = file == "-" ? "stdin" : file
            let problems: [String]
            do {
                let document = try Jobspec.parseDocument(try Terminal.readFile(file))
                problems = Jobspec.validate(document).map(\.description)
            } catch let error as ParseError {
                problems = [error.message]
            } catch let error as CommandFailure {
                Main.printError("fluxs-jobspec", error.message)
                invalid = true
                continue
            }
            for problem in problems { print("\(name): \(problem)") }
            if problems.isEmpty, verbose { print("\(name): ok") }
            invalid = invalid || !problems.isEmpty
        }
        if invalid { throw ExitCode(1) }
    }
}
