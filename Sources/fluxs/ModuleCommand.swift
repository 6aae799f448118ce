// `fluxs module list|load|remove|stats`: the broker's compiled-in services.
import ArgumentParser
import FluxsFormats
import FluxsProtocol

/// Module tools.
struct ModuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module", abstract: "List, load, remove and inspect broker modules.",
        subcommands: [ModuleListCommand.self, ModuleLoadCommand.self, ModuleRemoveCommand.self, ModuleStatsCommand.self])
}

/// Lists the modules.
struct ModuleListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the broker's modules.")

    func run() throws {
        let modules = try Instance.with { try $0.rpc(.module.list) }.arrayValue ?? []
        let rows = modules.map { m in
            [m["name"]?.stringValue ?? "", m["state"]?.stringValue ?? "",
             String(m["requests"]?.intValue ?? 0),
             (m["services"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")]
        }
        printTable(header: ["MODULE", "STATE", "REQUESTS", "SERVICES"], rows: rows)
    }
}

/// Loads a module.
struct ModuleLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Start a module.")
    @Argument(help: "The module name.")
    var name: String
    func run() throws { try Instance.with { try $0.rpc(.module.load, ["name": .string(name)]) } }
}

/// Removes a module.
struct ModuleRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Stop a module.")
    @Argument(help: "The module name.")
    var name: String
    func run() throws { try Instance.with { try $0.rpc(.module.remove, ["name": .string(name)]) } }
}

/// Prints a module's statistics.
struct ModuleStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Print a module's statistics as JSON.")
    @Option(name: .shortAndLong, help: "Print only this field.")
    var parse: String?
    @Argument(help: "The module name.")
    var name: String

    func run() throws {
        let stats = try Instance.with { try $0.rpc(.module.stats, ["name": .string(name)]) }
        if let parse {
            guard let value = stats[parse] else { throw CommandFailure("\(name) has no statistic \"\(parse)\"") }
            print(value.stringValue ?? value.compactText)
        } else {
            print(stats.prettyText)
        }
    }
}

/// Prints rows under a header, columns padded to their widest cell.
func printTable(header: [String], rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }
        print(cells.joined(separator: "  "))
    }
}
