// `fluxs resource status|drain|undrain`: the administrator's view of the resources (avail or
// drained, online or offline) and the commands that change it. Lines that would print alike
// but for their ranks are merged into one, as Flux does: the default status format shows one
// line per state, the drain listing one per reason and time.
import ArgumentParser
import FluxsFormats
import FluxsProtocol

/// Shows the state of each node.
struct ResourceStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show nodes by state: avail, drained, draining; online or offline.")

    @OptionGroup var filter: ResourceFilterOptions
    @Option(name: [.customShort("o", allowingJoined: true), .long], help: "Output format: a named format (default, long) or {field} text.")
    var format = "default"
    @Flag(name: .shortAndLong, help: "Print no header.")
    var noHeader = false
    @Flag(help: "Skip lines with no nodes even when --states is given.")
    var skipEmpty = false
    @Flag(help: "Print the resource.status answer as JSON.")
    var json = false

    static let namedFormats = [
        "default": "{state:>10} {up:>2} {nnodes:>6} {nodelist}",
        "long": "{state:>10} {up:>2} {nnodes:>6} {reason:<30.30+} {nodelist}",
    ]

    func run() throws {
        let output = try resourceFormat(format, named: Self.namedFormats, fields: StatusPrinter.fields)
        let states = try filter.states.map { try parseStates($0, as: ResourceSnapshot.StatusState.self) }
            ?? [.avail, .exclude, .draining, .drained]
        if json {
            print(try Instance.with { try $0.rpc(.resource.status) }.prettyText)
            return
        }
        let printer = StatusPrinter(format: output, header: !noHeader)
        printer.print(try filter.snapshot(), states: Set(states),
                      skipEmpty: skipEmpty || filter.states == nil, showOfflineEmpty: states.contains(.offline))
    }
}

/// The -f/-u of drain and undrain as the request's "mode", as flux resource sends it.
enum DrainMode {
    /// nil, "update", "overwrite" (-f) or "force-overwrite" (-ff).
    static func mode(force: Int, update: Bool) throws -> String? {
        if update && force > 0 { throw CommandFailure("Only one of --force and --update may be specified") }
        if update { return "update" }
        switch force {
        case 0: return nil
        case 1: return "overwrite"
        default: return "force-overwrite"
        }
    }
}

/// Drains nodes, or lists the drained ones.
struct ResourceDrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain nodes so that no new job gets them; without targets, list drained nodes.")

    @Flag(name: .shortAndLong, help: "Do not fail on targets already drained: replace their reason (twice: their drain time too).")
    var force: Int
    @Flag(name: .shortAndLong, help: "Do not fail on targets already drained: set the reason only where none was given.")
    var update = false
    @Option(name: [.customShort("o", allowingJoined: true), .long], help: "Listing format: a named format (default, long) or {field} text.")
    var format = "default"
    @Flag(name: .shortAndLong, help: "Listing: print no header.")
    var noHeader = false
    @Option(name: [.customShort("i", allowingJoined: true), .long], help: "Listing: show only these ranks (an idset) or hosts (a hostlist).")
    var include: String?
    @Argument(help: "The nodes: an idset of ranks or a hostlist.")
    var targets: String?
    @Argument(parsing: .captureForPassthrough, help: "Why (the rest of the line).")
    var reason: [String] = []

    /// Flux's drain formats: "default" and "long" (with the ranks); "short" is the
    /// default's old fluxs name.
    static let namedFormats = [
        "default": "{timestamp!d:%b%d %R::<12} {state:<8.8} {reason:<30.30+} {nodelist}",
        "long": "{timestamp!d:%b%d %R::<12} {state:<8.8} {ranks:<8.8+} +:{reason:<30.30} {nodelist}",
        "short": "{timestamp!d:%b%d %R::<12} {state:<8.8} {reason:<30.30+} {nodelist}",
    ]

    func run() throws {
        guard let targets else { return try list() }
        var payload: [String: JSONValue] = ["targets": .string(targets)]
        if let mode = try DrainMode.mode(force: force, update: update) { payload["mode"] = .string(mode) }
        if !reason.isEmpty { payload["reason"] = .string(reason.joined(separator: " ")) }
        do {
            _ = try Instance.with { try $0.rpc(.resource.drain, .object(payload)) }
        } catch let failure as CommandFailure where failure.message.hasSuffix("already drained") {
            // As flux resource: the error, then the way out.
            Main.printError("fluxs-resource", failure.message)
            writeStderr("fluxs-resource: Use --force to overwrite existing drain reason\n")
            throw ExitCode(1)
        }
    }

    private func list() throws {
        let output = try resourceFormat(format, named: Self.namedFormats, fields: StatusPrinter.fields)
        var filter = ResourceFilterOptions()
        filter.include = include
        StatusPrinter(format: output, header: !noHeader)
            .print(try filter.snapshot(), states: [.drain], skipEmpty: true, showOfflineEmpty: false)
    }
}

/// Undrains nodes.
struct ResourceUndrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undrain", abstract: "Return drained nodes to service.")

    @Flag(name: .shortAndLong, help: "Do not fail on targets that are not drained.")
    var force: Int
    @Flag(name: .shortAndLong, help: "Do not fail on targets that are not drained (as -f).")
    var update = false
    @Argument(help: "The nodes: an idset of ranks or a hostlist.")
    var targets: String
    @Argument(parsing: .captureForPassthrough, help: "Why (the rest of the line), kept in the log and the undrain event.")
    var reason: [String] = []

    func run() throws {
        var payload: [String: JSONValue] = ["targets": .string(targets)]
        if let mode = try DrainMode.mode(force: force, update: update) { payload["mode"] = .string(mode) }
        if !reason.isEmpty { payload["reason"] = .string(reason.joined(separator: " ")) }
        _ = try Instance.with { try $0.rpc(.resource.undrain, .object(payload)) }
    }
}

/// Prints status lines in a format, merging lines that differ only in their nodes.
struct StatusPrinter {
    static let fields: Set<String> = ["state", "statex", "status", "up", "up.ascii", "nnodes", "ranks", "nodelist",
                                      "reason", "timestamp"]
    static let headings = ["timestamp": "TIME", "statex": "STATE", "up.ascii": "UP"]
    /// The fields that do not keep lines apart: they are summed over merged lines.
    private static let merged: Set<String> = ["nnodes", "ranks", "nodelist"]

    var format: OutputFormat
    var header: Bool

    /// Prints the lines of `states`; empty lines are skipped when `skipEmpty`, and empty
    /// offline lines unless `showOfflineEmpty`.
    func print(_ snapshot: ResourceSnapshot, states: Set<ResourceSnapshot.StatusState>, skipEmpty: Bool,
               showOfflineEmpty: Bool) {
        var keys: [String] = []
        var byKey: [String: (row: [String: FieldValue], ranks: IDSet)] = [:]
        for line in snapshot.statusLines(states) {
            if line.ranks.isEmpty, skipEmpty || (!line.online && !showOfflineEmpty) { continue }
            let row = Self.row(line)
            let key = format.render([row.filter { !Self.merged.contains($0.key) }], header: false)[0]
            if let seen = byKey[key] {
                byKey[key]!.ranks = seen.ranks.union(line.ranks)
            } else {
                keys.append(key)
                byKey[key] = (row, line.ranks)
            }
        }
        let rows = keys.map { key in
            let (row, ranks) = byKey[key]!
            return row.merging(["nnodes": .int(ranks.count), "ranks": .text(ranks.description),
                                "nodelist": .text(snapshot.nodelist(ranks).description)]) { $1 }
        }
        for line in format.render(rows, header: header, headings: Self.headings) { Swift.print(line) }
    }

    /// The fields of a line but its nodes.
    private static func row(_ line: ResourceSnapshot.StatusLine) -> [String: FieldValue] {
        [
            "state": .text(line.state + (line.online ? "" : "*")), "statex": .text(line.state),
            "status": .text(line.online ? "online" : "offline"),
            "up": .text(line.online ? "✔" : "✗"), "up.ascii": .text(line.online ? "y" : "n"),
            "reason": .text(line.drain?.reason ?? ""), "timestamp": line.drain.map { .real($0.timestamp) } ?? .none,
        ]
    }
}
