// `fluxs config get` and `fluxs keygen`: a system instance's configuration as the broker
// holds it (config.get, man fluxs-config(1)), and a new CURVE certificate for its
// overlay (made by fluxs-broker, the program that links libzmq; man fluxs-keygen(1)).
import ArgumentParser
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// The instance's configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the instance's configuration.", subcommands: [ConfigGetCommand.self])
}

/// Prints the effective configuration as JSON.
struct ConfigGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print the effective configuration (or one TABLE.KEY of it) as JSON.")
    @Argument(help: "A table or TABLE.KEY (default: all of it).")
    var key: String?

    func run() throws {
        var value = try Instance.with { try $0.rpc("config.get") }
        for part in (key ?? "").split(separator: ".") {
            guard let next = value[String(part)] else { throw CommandFailure("\(key!) is not set in the configuration") }
            value = next
        }
        print(value.compactText)
    }
}

/// Writes a CURVE certificate.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Write a new CURVE certificate for a system instance's overlay.",
        discussion: "The file is made with mode 0600 and never overwrites an existing one.")
    @Option(help: "The name written into the certificate's metadata (default: this host's name).")
    var name: String?
    @Argument(help: "The certificate file to write, e.g. /etc/fluxs/system/curve.cert.")
    var path: String

    func run() throws {
        if access(path, F_OK) == 0 { throw CommandFailure("\(path) exists: remove it first, or name another file") }
        let broker = ProcessEnvironment.besideMe("fluxs-broker")
        var argv = [broker, "--keygen", path]
        if let name { argv.append(name) }
        let cargs = argv.map { strdup($0) } + [nil]
        execv(broker, cargs)
        throw CommandFailure("cannot run \(broker): \(String(cString: strerror(errno)))")
    }
}
