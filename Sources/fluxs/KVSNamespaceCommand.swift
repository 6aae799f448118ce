// `fluxs kvs namespace create|remove|list`: namespaces of the KVS. "primary" always
// exists; the others have an owner (a uid) who may use them besides the instance owner.
import ArgumentParser
import FluxsFormats
#if canImport(Glibc)
import Glibc
import FluxsProtocol
#endif

/// Namespace tools.
struct KVSNamespaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace", abstract: "Create, remove and list KVS namespaces.",
        subcommands: [KVSNamespaceCreateCommand.self, KVSNamespaceRemoveCommand.self, KVSNamespaceListCommand.self])
}

/// Creates namespaces.
struct KVSNamespaceCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create namespaces (version 0, empty).")
    @Option(name: [.customShort("o", allowingJoined: true), .customLong("owner")],
            help: ArgumentHelp("The owner: a uid or a user name (default: the instance owner).", valueName: "OWNER"))
    var owner: String?
    @Argument(help: "The names.")
    var names: [String] = []

    func validate() throws {
        if names.isEmpty { throw ValidationError("missing the namespace name") }
        _ = try uid()
    }

    /// The owner's uid, if one was given.
    func uid() throws -> Int64? {
        guard let owner else { return nil }
        if let number = Int64(owner), number >= 0, number <= Int64(UInt32.max) { return number }
        guard !owner.isEmpty, let entry = getpwnam(owner) else { throw ValidationError("--owner: no user \"\(owner)\"") }
        return Int64(entry.pointee.pw_uid)
    }

    func run() throws {
        let uid = try uid()
        try Instance.with { handle in
            for name in names {
                var fields: [String: JSONValue] = ["name": .string(name)]
                if let uid { fields["owner"] = .int(uid) }
                try handle.rpc(.kvs.namespaceCreate, .object(fields))
            }
        }
    }
}

/// Removes namespaces.
struct KVSNamespaceRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove namespaces and everything in them (not primary).")
    @Argument(help: "The names.")
    var names: [String] = []

    func validate() throws {
        if names.isEmpty { throw ValidationError("missing the namespace name") }
    }

    func run() throws {
        try Instance.with { handle in
            for name in names { try handle.rpc(.kvs.namespaceRemove, ["name": .string(name)]) }
        }
    }
}

/// Lists namespaces.
struct KVSNamespaceListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List namespaces: name, owner and version.")

    func run() throws {
        let list = try Instance.with { try $0.rpc(.kvs.namespaceList) }.arrayValue ?? []
        let rows = list.map { ns in
            [ns["name"]?.stringValue ?? "", ns["owner"]?.intValue.map(String.init) ?? "-",
             ns["version"]?.intValue.map(String.init) ?? "-"]
        }.sorted { $0[0].utf8.lexicographicallyPrecedes($1[0].utf8) }
        printTable(header: ["NAMESPACE", "OWNER", "VERSION"], rows: rows)
    }
}
