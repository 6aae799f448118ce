// `fluxs config get` and `fluxs keygen`: a system instance's configuration as the broker
// holds it (config.get; strings without quotes, -d, -q and -t as in flux config get; man
// fluxs-config(1)), and a new CURVE certificate for its overlay (made by fluxs-broker,
// the program that links libzmq; man fluxs-keygen(1)).
import ArgumentParser
import FluxsFormats
import FluxsProcess
#if canImport(Glibc)
import Glibc
import FluxsProtocol
#endif

/// The instance's configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the instance's configuration.", subcommands: [ConfigGetCommand.self])
}

/// Prints the effective configuration, or one key of it, as flux config get does.
struct ConfigGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print the effective configuration (or one TABLE.KEY of it).",
        discussion: """
            Values are printed as compact JSON, except strings, which are printed without \
            quotes, for shell scripts.
            """)
    @Option(name: [.customShort("d", allowingJoined: true), .customLong("default")],
            help: ArgumentHelp("Print VALUE (and exit 0) when NAME is not set.", valueName: "VALUE"))
    var defaultValue: String?
    @Flag(name: [.customShort("q"), .long], help: "Print no error when NAME is not set (exit 1 all the same).")
    var quiet = false
    @Option(name: [.customShort("t", allowingJoined: true), .long],
            help: ArgumentHelp("Require the value to be of TYPE: string, integer, real, boolean, object, array, fsd, fsd-integer or fsd-real.", valueName: "TYPE"))
    var type: String?
    @Argument(help: "A table or TABLE.KEY (default: all of it).")
    var key: String?

    /// The names of --type, lower case (matched without regard to case, as in Flux).
    static let types: Set<String> = ["any", "string", "integer", "real", "boolean", "object", "array", "fsd", "fsd-integer", "fsd-real"]

    func validate() throws {
        if let type, !Self.types.contains(type.lowercased()) { throw ValidationError("Unknown type: \(type)") }
    }

    func run() throws {
        var value = try Instance.with { try $0.rpc(.config.get) }
        for part in (key ?? "").split(separator: ".") {
            guard let next = value[String(part)] else {
                if let defaultValue { return print(defaultValue) }
                if quiet { throw ExitCode(1) }
                throw CommandFailure("\(key!) is not set in the configuration")
            }
            value = next
        }
        guard let text = Self.text(value, type: type?.lowercased() ?? "any") else {
            throw CommandFailure("\(key ?? "value") does not have the requested type")
        }
        print(text)
    }

    /// `value` as printed when it has the type `type`; nil when it does not.
    static func text(_ value: JSONValue, type: String) -> String? {
        let plain = value.stringValue ?? value.compactText
        switch (type, value) {
        case ("any", _), ("string", .string), ("integer", .int), ("real", .double), ("boolean", .bool),
             ("object", .object), ("array", .array):
            return plain
        case ("fsd", .string(let text)), ("fsd-integer", .string(let text)), ("fsd-real", .string(let text)):
            guard let seconds = try? FluxDuration.parse(text) else { return nil }
            if type == "fsd" { return text }
            if type == "fsd-real" { return TimeText.fixed(seconds, 6) }
            return seconds.isFinite ? String(Int(seconds)) : nil
        default:
            return nil
        }
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
