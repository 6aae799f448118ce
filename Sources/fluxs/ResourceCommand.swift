// `fluxs resource list|info|R` (the scheduler's view: free, allocated, down) and the parent
// command; `status`, `drain` and `undrain` (the administrator's view) are in
// ResourceStatusCommand.swift. Each command asks `resource.status` once and computes what it
// prints from that snapshot (ResourceSnapshot.swift). Formats follow `flux resource`: same
// columns, widths and state names (man1/fluxs-resource.1).
import ArgumentParser
import FluxsFormats

/// Resource tools.
struct ResourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resource", abstract: "List the instance's resources, show their state, drain and undrain nodes.",
        subcommands: [ResourceListCommand.self, ResourceStatusCommand.self, ResourceInfoCommand.self,
                      ResourceRCommand.self, ResourceDrainCommand.self, ResourceUndrainCommand.self])
}

/// The options that choose which resources a listing shows.
struct ResourceFilterOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Show only resources in these states (comma separated).")
    var states: String?
    @Option(name: [.customShort("i", allowingJoined: true), .long], help: "Show only these ranks (an idset) or hosts (a hostlist).")
    var include: String?

    /// The snapshot of the instance, restricted to `--include` when given.
    func snapshot() throws -> ResourceSnapshot {
        var snapshot = try Instance.with { try ResourceSnapshot.fetch($0) }
        if let include {
            let ranks = try snapshot.ranks(matching: include)
            snapshot.R = snapshot.R.restricted(to: ranks)
            snapshot.drained = snapshot.drained.filter { ranks.contains($0.key) }
        }
        return snapshot
    }

    /// The `--states` of list, info and R, or `defaults`.
    func listStates(default defaults: [ResourceSnapshot.ListState]) throws -> [ResourceSnapshot.ListState] {
        guard let states else { return defaults }
        return try parseStates(states, as: ResourceSnapshot.ListState.self)
    }
}

/// Parses a comma separated list of state names; an unknown one fails naming the valid ones.
func parseStates<State: RawRepresentable & CaseIterable>(_ text: String, as: State.Type) throws -> [State]
where State.RawValue == String {
    try text.split(separator: ",").map { word in
        guard let state = State(rawValue: String(word)) else {
            let valid = State.allCases.map(\.rawValue).joined(separator: ",")
            throw CommandFailure("invalid resource state \"\(word)\" (valid states: \(valid))")
        }
        return state
    }
}

/// A format given by name (among `named`) or as text, parsed for `fields`.
func resourceFormat(_ option: String, named: [String: String], fields: Set<String>) throws -> OutputFormat {
    let text: String
    if let known = named[option] {
        text = known
    } else if option.contains("{") {
        text = option
    } else {
        throw CommandFailure("unknown format \"\(option)\" (named formats: \(named.keys.sorted().joined(separator: ", ")))")
    }
    do { return try OutputFormat(text, fields: fields) } catch { throw CommandFailure(error.message) }
}

/// Lists the resources by scheduler state.
struct ResourceListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List resources by state: free, allocated, down (up, all).")

    @OptionGroup var filter: ResourceFilterOptions
    @Option(name: [.customShort("o", allowingJoined: true), .long], help: "Output format: a named format (default, rlist) or {field} text.")
    var format = "default"
    @Flag(name: .shortAndLong, help: "Print no header.")
    var noHeader = false
    @Flag(help: "Print each state's R as JSON.")
    var json = false

    static let namedFormats = [
        "default": "{state:>10} ?:{properties:<10.10+} {nnodes:>6} {ncores:>8} ?:{ngpus:>8} {nodelist}",
        "rlist": "{state:>10} ?:{properties:<10.10+} {nnodes:>6} {ncores:>8} {ngpus:>8} {rlist}",
    ]
    static let fields: Set<String> = ["state", "properties", "nnodes", "ncores", "ngpus", "ranks", "nodelist", "rlist"]
    static let headings = ["rlist": "LIST"]

    func run() throws {
        let states = try filter.listStates(default: [.free, .allocated, .down])
        let output = try resourceFormat(format, named: Self.namedFormats, fields: Self.fields)
        let snapshot = try filter.snapshot()
        if json {
            let members = states.map { ($0.rawValue, snapshot.resources($0).json) }
            print(JSONValue.object(Dictionary(members) { first, _ in first }).prettyText)
            return
        }
        let rows = Self.rows(snapshot, states: states, fields: Set(output.fieldNames))
        for line in output.render(rows, header: !noHeader, headings: Self.headings) { print(line) }
    }

    /// One row per state (and per set of properties when shown), as Flux groups them; a
    /// format of one field other than state gets one row for all the states together.
    static func rows(_ snapshot: ResourceSnapshot, states: [ResourceSnapshot.ListState], fields: Set<String>) -> [[String: FieldValue]] {
        let byState = fields.count > 1 || fields.contains("state")
        let groups = byState ? states.map { ($0.rawValue, snapshot.resources($0)) }
                             : [("", snapshot.resources(states))]
        return groups.flatMap { state, set in
            guard fields.contains("properties"), !set.isEmpty else { return [row(snapshot, state: state, set)] }
            var order: [String] = []
            var nodes: [String: [ResourceSet.Node]] = [:]
            for node in set.nodes {
                let key = node.properties.sorted().joined(separator: ",")
                if nodes[key] == nil { order.append(key) }
                nodes[key, default: []].append(node)
            }
            return order.map { row(snapshot, state: state, ResourceSet(nodes: nodes[$0]!)) }
        }
    }

    /// The fields of one row.
    static func row(_ snapshot: ResourceSnapshot, state: String, _ set: ResourceSet) -> [String: FieldValue] {
        [
            "state": .text(state), "nnodes": .int(set.nnodes), "ncores": .int(set.ncores), "ngpus": .int(set.ngpus),
            "ranks": .text(set.ranks.description), "nodelist": .text(snapshot.nodelist(set.ranks).description),
            "rlist": .text(rlist(set)),
            "properties": .text(set.nodes.reduce(into: Set<String>()) { $0.formUnion($1.properties) }
                .sorted().joined(separator: ",")),
        ]
    }

    /// The short form of a set, as Flux writes it: "rank[0-3]/core[0-3],gpu[0-1] rank4/core0".
    static func rlist(_ set: ResourceSet) -> String {
        var groups: [(ranks: IDSet, cores: IDSet, gpus: IDSet)] = []
        for node in set.nodes {
            if let i = groups.firstIndex(where: { $0.cores == node.cores && $0.gpus == node.gpus }) {
                groups[i].ranks.insert(node.rank)
            } else {
                groups.append(([node.rank], node.cores, node.gpus))
            }
        }
        return groups.map { group in
            var children: [String] = []
            if !group.cores.isEmpty { children.append("core" + group.cores.formatted(brackets: true)) }
            if !group.gpus.isEmpty { children.append("gpu" + group.gpus.formatted(brackets: true)) }
            return "rank\(group.ranks.formatted(brackets: true))/" + children.joined(separator: ",")
        }.joined(separator: " ")
    }
}

/// Prints a one-line summary of the resources.
struct ResourceInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print a one-line summary: \"4 Nodes, 16 Cores, 0 GPUs\".")

    @OptionGroup var filter: ResourceFilterOptions

    func run() throws {
        let set = try filter.snapshot().resources(filter.listStates(default: [.all]))
        print("\(set.nnodes) Nodes, \(set.ncores) Cores, \(set.ngpus) GPUs")
    }
}

/// Prints R.
struct ResourceRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "R", abstract: "Print the resources as R (RFC 20) JSON.")

    @OptionGroup var filter: ResourceFilterOptions

    func run() throws {
        print(try filter.snapshot().resources(filter.listStates(default: [.all])).json.compactText)
    }
}
