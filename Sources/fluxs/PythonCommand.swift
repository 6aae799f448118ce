// `fluxs python [ARGS...]`: python3 (or $FLUXS_PYTHON) with the fluxs Python packages
// importable, as `flux python` is: it runs in the environment `fluxs env` sets up (see
// EnvCommand.swift), so the build tree's bindings/python or the installed
// PREFIX/lib/fluxs/python comes first on PYTHONPATH. The arguments go to python as
// they are; the exit status is python's (this process becomes it).
import ArgumentParser
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Runs python3 with the fluxs Python API importable.
struct PythonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "python",
        abstract: "Run python3 with the fluxs Python packages importable.",
        discussion: """
            Runs python3 (or $FLUXS_PYTHON) with the arguments given, in the environment \
            of fluxs env: the fluxs Python packages (fluxs, psij_fluxs, parsl_fluxs) come \
            first on PYTHONPATH. See fluxs-python(1) and fluxs-python(7).
            """)

    @Argument(parsing: .captureForPassthrough, help: "Arguments for python3.")
    var arguments: [String] = []

    func run() throws {
        let environment = ProcessEnvironment.current
        let variables = FluxsEnvironment.variables(
            environment: environment, argv0: CommandLine.arguments.first ?? "fluxs",
            bindir: ProcessEnvironment.executableDirectory)
        for (name, value) in variables { setenv(name, value, 1) }
        let python = environment["FLUXS_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        let argv = [python] + arguments
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(python, cargs)
        throw CommandFailure("\(python): \(String(cString: strerror(errno)))")
    }
}
