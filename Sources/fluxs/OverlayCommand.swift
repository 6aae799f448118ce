// `fluxs overlay status`: the tree of brokers with each one's state.
import ArgumentParser
import FluxsFormats
import FluxsMessage
import FluxsProtocol

/// Overlay tools.
struct OverlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "overlay", abstract: "Show the tree-based overlay network.",
        subcommands: [OverlayStatusCommand.self])
}

/// Draws the overlay tree with each broker's state.
struct OverlayStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Draw the overlay tree: each rank and its state (full, partial, degraded, lost, offline).")

    @Option(name: [.customShort("r", allowingJoined: true), .long], help: "Start at this rank (default 0).")
    var rank: UInt32 = 0
    @Flag(help: "Print the status as JSON.")
    var json = false
    @Option(help: "Seconds to wait for an answer (default 10).")
    var timeout: Double = 10

    func run() throws {
        let tree = try Instance.with { try $0.rpc(.overlay.status, nodeid: .rank(rank), timeout: timeout) }
        if json {
            print(tree.prettyText)
        } else {
            draw(tree, prefix: "", childPrefix: "")
        }
    }

    private func draw(_ node: JSONValue, prefix: String, childPrefix: String) {
        let rank = node["rank"]?.intValue.map(String.init) ?? "?"
        var line = "\(prefix)\(rank)"
        if let host = node["host"]?.stringValue, !host.isEmpty { line += " \(host)" }
        line += ": \(node["status"]?.stringValue ?? "unknown")"
        if let ranks = node["unreachable"]?.stringValue, ranks.contains(where: { $0 == "," || $0 == "-" }) {
            line += " (ranks \(ranks) unreachable)"
        }
        if let error = node["error"]?.stringValue { line += " (\(error))" }
        print(line)
        let kids = node["children"]?.arrayValue ?? []
        for (i, kid) in kids.enumerated() {
            let last = i == kids.count - 1
            draw(kid, prefix: childPrefix + (last ? "└─ " : "├─ "), childPrefix: childPrefix + (last ? "   " : "│  "))
        }
    }
}
