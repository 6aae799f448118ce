// Checking a node against what R says it has (Flux's "resource verify"): a node passes when
// it has every core id and gpu id R gives its rank, whatever else it has. Any shortfall is
// one line for the log and for draining the rank, parts joined by "; ":
//
//   hostname is node7, R says node8
//   has 2 cores, R says 4 (cores 2-3 missing)
//   has 0 gpus, R says 1
//
// The missing ids are listed when the node has some of that resource; when it has none,
// every id R names is missing and the counts say it all. A hostname is compared only when
// R gives one. Properties are not hardware and are not checked.
import FluxsFormats

extension NodeInventory {
    /// Nil when this node has at least what `node` says (its core and gpu ids, and its
    /// hostname when R gives one); otherwise what is short, e.g.
    /// "has 2 cores, R says 4 (cores 2-3 missing); has 0 gpus, R says 1".
    public func shortfall(against node: ResourceSet.Node) -> String? {
        var problems: [String] = []
        if let expected = node.hostname, expected != hostname {
            problems.append("hostname is \(hostname), R says \(expected)")
        }
        problems += Self.shortfall(of: "core", have: coreIDs, want: node.cores)
        problems += Self.shortfall(of: "gpu", have: Self.firstIDs(gpus.count), want: node.gpus)
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// One part of the message for one resource, or none when `have` covers `want`.
    static func shortfall(of noun: String, have: IDSet, want: IDSet) -> [String] {
        let missing = want.subtracting(have)
        guard !missing.isEmpty else { return [] }
        var text = "has \(counted(have.count, noun)), R says \(want.count)"
        if !have.isEmpty { text += " (\(missing.count == 1 ? noun : noun + "s") \(missing) missing)" }
        return [text]
    }

    /// "1 core", "0 cores", "2 gpus".
    static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
