// Broker attributes: `fluxs getattr`, `fluxs setattr`, `fluxs lsattr`.
import ArgumentParser
import FluxsFormats
import FluxsProtocol

/// Prints one attribute.
struct GetattrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "getattr", abstract: "Print a broker attribute.")
    @Argument(help: "The attribute name.")
    var name: String

    func run() throws {
        let value = try Instance.with { try $0.rpc(.attr.get, ["name": .string(name)]) }
        let text = value["value"]?.stringValue ?? ""
        print(name == "jobid" ? Terminal.localized(text) : text)
    }
}

/// Sets (or removes) one attribute.
struct SetattrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "setattr", abstract: "Set a broker attribute.")
    @Flag(name: .shortAndLong, help: "Remove the attribute instead.")
    var remove = false
    @Argument(help: "The attribute name.")
    var name: String
    @Argument(help: "The new value.")
    var value: String?

    func validate() throws {
        if remove && value != nil { throw ValidationError("--remove takes no value") }
        if !remove && value == nil { throw ValidationError("missing the value for \(name)") }
    }

    func run() throws {
        try Instance.with { handle in
            if remove {
                try handle.rpc(.attr.rm, ["name": .string(name)])
            } else {
                try handle.rpc(.attr.set, ["name": .string(name), "value": .string(value ?? "")])
            }
        }
    }
}

/// Lists attributes.
struct LsattrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lsattr", abstract: "List broker attributes.")
    @Flag(name: .shortAndLong, help: "Show values (and how each may change) too.")
    var verbose = false

    func run() throws {
        let list = try Instance.with { try $0.rpc(.attr.list) }.arrayValue ?? []
        let width = list.map { $0["name"]?.stringValue?.count ?? 0 }.max() ?? 0
        for entry in list {
            let name = entry["name"]?.stringValue ?? ""
            guard verbose else {
                print(name)
                continue
            }
            let padded = name + String(repeating: " ", count: width - name.count)
            let flags = entry["flags"]?.stringValue ?? ""
            print("\(padded)  \(entry["value"]?.stringValue ?? "-")" + (flags == "runtime" ? "" : "  (\(flags))"))
        }
    }
}
