// Writing R version 1 (RFC 20) in the compressed form flux-core writes: ranks whose cores and
// gpus are identical share one R_lite entry with a rank idset, the nodelist is one compressed
// hostlist string, and properties map each name to the idset of ranks that carry it.
// Entries appear in order of their lowest rank, so the output is deterministic.

extension ResourceSet {
    /// R as JSON: `version`, `execution` (`R_lite`, `nodelist` when every hostname is known,
    /// `properties` when any, `starttime`, `expiration`, `nslots` when set) and `scheduling`.
    public var json: JSONValue {
        var execution: [String: JSONValue] = [
            "R_lite": .array(rLiteEntries),
            "starttime": .double(starttime),
            "expiration": .double(expiration),
        ]
        if let hosts = completeHostnames {
            execution["nodelist"] = .array(hosts.isEmpty ? [] : [.string(Hostlist(hosts).description)])
        }
        if !propertyRanks.isEmpty {
            execution["properties"] = .object(propertyRanks.mapValues { .string($0.description) })
        }
        if let nslots { execution["nslots"] = .int(Int64(nslots)) }
        var document: [String: JSONValue] = ["version": 1, "execution": .object(execution)]
        if let scheduling { document["scheduling"] = scheduling }
        return .object(document)
    }

    /// The R_lite entries: one per distinct share, ordered by lowest rank.
    private var rLiteEntries: [JSONValue] {
        var ranksOfShare = [AscendingIDSetBuilder](repeating: AscendingIDSetBuilder(), count: palette.shares.count)
        var order: [UInt32] = []
        var seen = [Bool](repeating: false, count: palette.shares.count)
        for (rank, share) in zip(nodeRanks, nodeShares) {
            if !seen[Int(share)] {
                seen[Int(share)] = true
                order.append(share)
            }
            ranksOfShare[Int(share)].append(rank)
        }
        return order.map { index in
            let share = palette[index]
            var children: [String: JSONValue] = ["core": .string(share.cores.description)]
            if !share.gpus.isEmpty { children["gpu"] = .string(share.gpus.description) }
            return .object(["rank": .string(ranksOfShare[Int(index)].idset.description), "children": .object(children)])
        }
    }

    /// Every node's hostname in rank order, or nil when some hostname is unknown.
    private var completeHostnames: [String]? {
        var hosts: [String] = []
        hosts.reserveCapacity(nodeHostnames.count)
        for hostname in nodeHostnames {
            guard let hostname else { return nil }
            hosts.append(hostname)
        }
        return hosts
    }
}
