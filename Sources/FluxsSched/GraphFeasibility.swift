// Why a request could never run on this instance, even empty and with every node up: the
// first problem found, in this order: a malformed request, properties or constraints no node satisfies,
// gpus on a gpu-less instance, too many nodes, a slot bigger than any node, too few nodes
// big enough for a node's share, too little room in all for the slots. Policies do not
// change the answer (a node-exclusive policy takes whole nodes, which hold the same slots).

import FluxsFormats

extension ResourceGraph {
    /// Why `request` could never be satisfied by this instance even empty and all up, or nil:
    /// e.g. "requests 5 nodes; the instance has 4", "a slot needs 8 cores; the largest node has 4",
    /// "requests gpus; the instance has none", "no node has property \"bigmem\"".
    public func infeasibility(_ request: ResourceRequest) -> String? {
        if request.nslots < 1 { return "requests no slots" }
        if request.coresPerSlot < 1 { return "a slot needs at least one core" }
        if request.gpusPerSlot < 0 { return "a slot cannot need a negative number of gpus" }
        if let count = request.nnodes {
            if count < 1 { return "requests no nodes" }
            if request.nslots % count != 0 {
                return "requests \(request.nslots) slots on \(count) nodes; slots must divide evenly among nodes"
            }
        }
        guard let prepared = PreparedRequest(request, .firstFit, nodes) else { return "malformed request" }
        let properties = request.constraint?.conjunctiveProperties
        for name in properties ?? [] where !name.hasPrefix("^") && !nodes.hasProperty(name) {
            return "no node has property \"\(name)\""
        }
        if nodes.count == 0 { return "the instance has no nodes" }
        let eligible = (0..<nodes.count).filter(prepared.eligible)
        if eligible.isEmpty {
            guard let properties else { return "no node satisfies the constraints \(request.constraint!.json.compactText)" }
            let names = properties.map { "\"\($0)\"" }.joined(separator: ", ")
            return "no node satisfies the properties \(names)"
        }
        if request.gpusPerSlot > 0 && ngpus == 0 { return "requests gpus; the instance has none" }
        let qualifier = request.constraint == nil ? ""
            : properties != nil ? " with the requested properties" : " satisfying the constraints"
        if let count = request.nnodes, count > eligible.count {
            return "requests \(count) nodes; the instance has \(eligible.count)\(qualifier)"
        }
        let largestCores = Int(eligible.map { nodes.totalCores[$0] }.max() ?? 0)
        if request.coresPerSlot > largestCores {
            return "a slot needs \(Self.amount(request.coresPerSlot, "core")); the largest node\(qualifier) has \(largestCores)"
        }
        let largestGpus = Int(eligible.map { nodes.totalGpus[$0] }.max() ?? 0)
        if request.gpusPerSlot > largestGpus {
            return "a slot needs \(Self.amount(request.gpusPerSlot, "gpu")); the largest node\(qualifier) has \(largestGpus)"
        }
        let room = eligible.map {
            prepared.capacity(cores: Int(nodes.totalCores[$0]), gpus: Int(nodes.totalGpus[$0]))
        }
        if room.allSatisfy({ $0 < 1 }) {
            return "a slot needs \(slotText(request)); no node\(qualifier) has both"
        }
        if let count = request.nnodes {
            let perNode = request.nslots / count
            let big = room.filter { $0 >= perNode }.count
            if big < count {
                let share = Self.amount(perNode * request.coresPerSlot, "core")
                    + (request.gpusPerSlot > 0 ? " and \(Self.amount(perNode * request.gpusPerSlot, "gpu"))" : "")
                return "requests \(Self.amount(count, "node")) with \(share) each; only \(big) \(big == 1 ? "node has" : "nodes have") that many\(qualifier)"
            }
        } else {
            let total = room.reduce(0, +)
            if total < request.nslots {
                return "requests \(request.nslots) slots of \(slotText(request)); the instance holds at most \(total)\(qualifier)"
            }
        }
        return nil
    }

    /// "2 cores" or "2 cores and 1 gpu".
    private func slotText(_ request: ResourceRequest) -> String {
        Self.amount(request.coresPerSlot, "core")
            + (request.gpusPerSlot > 0 ? " and \(Self.amount(request.gpusPerSlot, "gpu"))" : "")
    }

    /// "1 core", "4 cores".
    private static func amount(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
