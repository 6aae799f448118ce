// `fluxs start`: start an instance and run a command in it. The broker does the work:
// this command replaces itself with `fluxs-broker`, found beside `fluxs`.
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
    @Option(help: "Start N brokers on this machine, bootstrapped by a PMI server in this process.")
    var testSize: Int?
    @Argument(parsing: .captureForPassthrough, help: "The initial program and its arguments.")
    var command: [String] = []

    func validate() throws {
        _ = try CommandArguments(command, joinedLetters: ["S": "setattr"], longOptions: ["test-size"], command: Self.self)
        if let testSize, testSize < 1 || testSize > 4096 { throw ValidationError("--test-size must be 1 to 4096") }
    }

    func run() throws {
        let words = try CommandArguments(self.command, joinedLetters: ["S": "setattr"], longOptions: ["test-size"],
                                         command: Self.self)
        let command = words.program
        let testSize = self.testSize ?? words.options["test-size"]?.last.flatMap { Int($0) }
        let broker = Self.brokerPath()
        // An instance started by hand is a new one, even inside a job: only brokers that
        // a job shell starts (fluxs alloc, fluxs batch) join a parent (fluxs-broker(1)).
        unsetenv("FLUXS_JOB_ID")
        if let testSize, testSize > 1 {
            let instance = TestInstance(size: testSize, settings: setattr + (words.joined["S"] ?? []),
                                        command: command, broker: broker)
            throw ExitCode(try instance.run())
        }
        var argv = [broker]
        for setting in setattr + (words.joined["S"] ?? []) { argv += ["-S", setting] }
        argv.append("--")
        argv += command
        let cargs = argv.map { strdup($0) } + [nil]
        execvp(broker, cargs)
        throw CommandFailure("cannot run \(broker): \(String(cString: strerror(errno)))")
    }

    /// `fluxs-broker` in the directory of this program, else on PATH.
    static func brokerPath() -> String { ProcessEnvironment.besideMe("fluxs-broker") }
}
