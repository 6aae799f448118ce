// `fluxs start`: start an instance and run a command in it. The broker does the work:
// this command replaces itself with `fluxs-broker`, found beside `fluxs` (or, with
// --test-size, starts several: TestInstance). -c and -o options are handed to every
// broker as they are, before its -S settings, as Flux's flux-start does.
import ArgumentParser
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Starts an instance.
struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start an instance and run a command (default: a shell) in it.",
        discussion: "The instance ends when the command exits; fluxs start exits with the command's status.")

    @Option(name: [.customShort("S", allowingJoined: true), .customLong("setattr")],
            help: "Set broker attribute NAME to VALUE (NAME=VALUE).")
    var setattr: [String] = []
    @Option(name: [.customShort("c", allowingJoined: true), .customLong("config-path")],
            help: ArgumentHelp("Give every broker the configuration directory DIR (fluxs-broker --config-path).", valueName: "DIR"))
    var configPath: String?
    @Option(name: [.customShort("o", allowingJoined: true), .customLong("broker-opts")],
            help: ArgumentHelp("Pass OPTS, split at commas, to every broker (-o,-Sname=value).", valueName: "OPTS"))
    var brokerOpts: [String] = []
    @Option(name: [.customShort("s", allowingJoined: true), .customLong("test-size")],
            help: ArgumentHelp("Start N brokers on this machine, bootstrapped by a PMI server in this process.", valueName: "N"))
    var testSize: Int?
    @Argument(parsing: .captureForPassthrough, help: "The initial program and its arguments.")
    var command: [String] = []

    /// Options that the passthrough capture can swallow (a joined value holding "="), by letter.
    private static let joinedLetters: [Character: String] = [
        "S": "setattr", "c": "config-path", "o": "broker-opts", "s": "test-size",
    ]
    private static let longOptions: Set<String> = ["test-size", "config-path", "broker-opts"]

    func validate() throws {
        _ = try words()
        if let testSize, testSize < 1 || testSize > 4096 { throw ValidationError("--test-size must be 1 to 4096") }
    }

    private func words() throws -> CommandArguments {
        try CommandArguments(command, joinedLetters: Self.joinedLetters, longOptions: Self.longOptions, command: Self.self)
    }

    func run() throws {
        let words = try words()
        let command = words.program
        let testSize = self.testSize ?? words.options["test-size"]?.last.flatMap { Int($0) }
        let settings = setattr + (words.options["setattr"] ?? [])
        // Options for every broker, before its attributes: the configuration directory
        // (as Flux's -c), then those of -o in order.
        var options: [String] = []
        if let path = words.options["config-path"]?.last ?? configPath { options.append("--config-path=" + path) }
        for opts in brokerOpts + (words.options["broker-opts"] ?? []) {
            options += opts.split(separator: ",").map(String.init)
        }
        let broker = Self.brokerPath()
        // An instance started by hand is a new one, even inside a job: only brokers that
        // a job shell starts (fluxs alloc, fluxs batch) join a parent (fluxs-broker(1)).
        unsetenv("FLUXS_JOB_ID")
        if let testSize, testSize > 1 {
            let instance = TestInstance(size: testSize, options: options, settings: settings, command: command,
                                        broker: broker)
            throw ExitCode(try instance.run())
        }
        var argv = [broker] + options
        for setting in settings { argv += ["-S", setting] }
        argv.append("--")
        argv += command
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(broker, cargs)
        throw CommandFailure("cannot run \(broker): \(String(cString: strerror(errno)))")
    }

    /// `fluxs-broker` in the directory of this program, else on PATH.
    static func brokerPath() -> String { ProcessEnvironment.besideMe("fluxs-broker") }
}
