// R version 1, the resource set of RFC 20: which broker ranks a set covers, which cores
// and gpus each rank holds, each rank's hostname and properties, and when the set is valid.
//
// Storage is by column so that a 10,000-node set copies and changes cheaply: node i has
// rank `nodeRanks[i]`, hostname `nodeHostnames[i]` and the cores and gpus of
// `palette[nodeShares[i]]`, where the palette keeps each distinct (cores, gpus) pair once
// (a homogeneous cluster has a palette of one). Properties are kept as in R: name -> ranks.
// Invariants: `nodeRanks` is strictly ascending; the three node columns have one entry per
// node; `propertyRanks` holds only ranks of the set and no empty idset.
// `nodes` and `node(rank:)` give the per-node view. JSON is in ResourceSet+Parse.swift and
// ResourceSet+Emit.swift, set algebra in ResourceSet+Operations.swift.

/// A resource set (RFC 20 "R", version 1): nodes by rank plus the window in which they are valid.
public struct ResourceSet: Sendable, Hashable {
    /// The ranks of the nodes, strictly ascending.
    var nodeRanks: [UInt32] = []
    /// For each node, the index of its cores and gpus in `palette`.
    var nodeShares: [UInt32] = []
    /// For each node, its hostname when known.
    var nodeHostnames: [String?] = []
    /// The distinct (cores, gpus) pairs the nodes hold.
    var palette = SharePalette()
    /// Each property name with the ranks that carry it.
    var propertyRanks: [String: IDSet] = [:]

    /// Seconds since the Unix epoch at which the set becomes valid; 0 means unset.
    public var starttime: Double = 0
    /// Seconds since the Unix epoch at which the set expires; 0 means unset.
    public var expiration: Double = 0
    /// The `execution.nslots` hint that some schedulers write; nil when absent.
    public var nslots: Int?
    /// The `scheduling` member, opaque to everyone but the scheduler; carried along unread.
    public var scheduling: JSONValue?

    /// An empty set with no time window.
    public init() {}

    /// A set of the given nodes, in any order. When a rank is given twice, the last node wins.
    public init(nodes: [Node], starttime: Double = 0, expiration: Double = 0, scheduling: JSONValue? = nil) {
        self.starttime = starttime
        self.expiration = expiration
        self.scheduling = scheduling
        for node in Self.sortedByRank(nodes) {
            appendNode(rank: node.rank, hostname: node.hostname, shareIndex: palette.intern(Share(node)))
            for name in node.properties { propertyRanks[name, default: IDSet()].insert(node.rank) }
        }
    }

    /// Adds a node whose rank is above every rank in the set.
    mutating func appendNode(rank: UInt32, hostname: String?, shareIndex: UInt32) {
        assert(nodeRanks.last.map { $0 < rank } ?? true, "nodes must be appended in ascending rank order")
        nodeRanks.append(rank)
        nodeHostnames.append(hostname)
        nodeShares.append(shareIndex)
    }

    /// `nodes` sorted by rank, keeping the last of any repeated rank.
    private static func sortedByRank(_ nodes: [Node]) -> [Node] {
        if zip(nodes, nodes.dropFirst()).allSatisfy({ $0.rank < $1.rank }) { return nodes }
        let ordered = nodes.indices.sorted { (nodes[$0].rank, $0) < (nodes[$1].rank, $1) }
        var result: [Node] = []
        result.reserveCapacity(nodes.count)
        for index in ordered {
            if result.last?.rank == nodes[index].rank { result.removeLast() }
            result.append(nodes[index])
        }
        return result
    }
}

// MARK: - Equality

extension ResourceSet {
    /// Equal when both sets hold the same nodes with the same resources, hostnames and
    /// properties, and the same window, `nslots` and `scheduling`.
    public static func == (a: ResourceSet, b: ResourceSet) -> Bool {
        guard a.nodeRanks == b.nodeRanks, a.nodeHostnames == b.nodeHostnames, a.propertyRanks == b.propertyRanks,
              a.starttime == b.starttime, a.expiration == b.expiration, a.nslots == b.nslots,
              a.scheduling == b.scheduling
        else { return false }
        if a.palette.shares == b.palette.shares { return a.nodeShares == b.nodeShares }
        return zip(a.nodeShares, b.nodeShares).allSatisfy { a.palette[$0] == b.palette[$1] }
    }

    /// Hashes what `==` compares, except the per-node resources (equal sets still hash alike).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(nodeRanks)
        hasher.combine(nodeHostnames)
        hasher.combine(propertyRanks)
        hasher.combine(starttime)
        hasher.combine(expiration)
        hasher.combine(nslots)
        hasher.combine(scheduling)
    }
}

// MARK: - Queries

extension ResourceSet {
    /// The nodes in ascending rank order.
    public var nodes: [Node] {
        var properties = [Set<String>](repeating: [], count: nodeRanks.count)
        for (name, ranks) in propertyRanks {
            forEachIndex(in: ranks) { properties[$0].insert(name) }
        }
        return nodeRanks.indices.map { node(at: $0, properties: properties[$0]) }
    }

    /// The node of `rank`, or nil when the set does not hold that rank.
    public func node(rank: UInt32) -> Node? {
        guard let index = index(ofRank: rank) else { return nil }
        return node(at: index, properties: Set(propertyRanks.lazy.filter { $0.value.contains(rank) }.map(\.key)))
    }

    private func node(at index: Int, properties: Set<String>) -> Node {
        let share = palette[nodeShares[index]]
        return Node(rank: nodeRanks[index], hostname: nodeHostnames[index], cores: share.cores, gpus: share.gpus,
                    properties: properties)
    }

    /// The ranks of all nodes.
    public var ranks: IDSet { Self.idset(ascending: nodeRanks) }
    /// The number of nodes (broker ranks).
    public var nnodes: Int { nodeRanks.count }
    /// The number of cores over all nodes.
    public var ncores: Int { total { $0.cores.count } }
    /// The number of gpus over all nodes.
    public var ngpus: Int { total { $0.gpus.count } }
    /// True when the set holds no nodes.
    public var isEmpty: Bool { nodeRanks.isEmpty }

    /// The hostnames in rank order; nodes whose hostname is unknown are left out.
    public var nodelist: Hostlist { Hostlist(nodeHostnames.compactMap { $0 }) }

    /// The hostname of `rank`, or nil when the rank is absent or its hostname unknown.
    public func hostname(ofRank rank: UInt32) -> String? {
        index(ofRank: rank).flatMap { nodeHostnames[$0] }
    }

    /// The ranks that run on `host` (several when a host runs more than one broker).
    public func ranks(onHost host: String) -> IDSet {
        Self.idset(ascending: nodeRanks.indices.lazy.filter { nodeHostnames[$0] == host }.map { nodeRanks[$0] })
    }

    /// The ranks that carry the property `name`.
    public func ranks(withProperty name: String) -> IDSet {
        propertyRanks[name] ?? IDSet()
    }

    /// The sum over nodes of `count` applied to each node's share.
    private func total(_ count: (Share) -> Int) -> Int {
        let perShare = palette.shares.map(count)
        return nodeShares.reduce(0) { $0 + perShare[Int($1)] }
    }
}

// MARK: - Positions

extension ResourceSet {
    /// The position of `rank` among the nodes, or nil.
    func index(ofRank rank: UInt32) -> Int? {
        let index = firstIndex(atOrAfter: rank)
        return index < nodeRanks.count && nodeRanks[index] == rank ? index : nil
    }

    /// The position of the first node whose rank is `rank` or more (`nnodes` when none).
    func firstIndex(atOrAfter rank: UInt32) -> Int {
        var low = 0, high = nodeRanks.count
        while low < high {
            let mid = (low + high) / 2
            if nodeRanks[mid] < rank { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The positions of the nodes whose rank is in `ranks`.
    func indices(of ranks: IDSet) -> RangeSet<Int> {
        var positions = RangeSet<Int>()
        for range in ranks.ranges {
            let end = range.upperBound == .max ? nodeRanks.count : firstIndex(atOrAfter: range.upperBound + 1)
            positions.insert(contentsOf: firstIndex(atOrAfter: range.lowerBound)..<end)
        }
        return positions
    }

    /// Calls `body` with the position of each node whose rank is in `ranks`, in order.
    func forEachIndex(in ranks: IDSet, _ body: (Int) -> Void) {
        for range in indices(of: ranks).ranges {
            for index in range { body(index) }
        }
    }

    /// An idset of ids given in ascending order, built one run of consecutive ids at a time.
    static func idset(ascending ids: some Sequence<UInt32>) -> IDSet {
        var builder = AscendingIDSetBuilder()
        for id in ids { builder.append(id) }
        return builder.idset
    }
}

extension ResourceSet {
    /// Builds an idset from ids that arrive in ascending order, inserting whole runs at once.
    struct AscendingIDSetBuilder {
        private var done = IDSet()
        private var run: ClosedRange<UInt32>?

        /// Adds `id`, which must exceed every id added before.
        mutating func append(_ id: UInt32) {
            if let current = run, current.upperBound < .max, id == current.upperBound + 1 {
                run = current.lowerBound...id
            } else {
                if let current = run { done.insert(contentsOf: current) }
                run = id...id
            }
        }

        /// The ids added so far.
        var idset: IDSet {
            guard let run else { return done }
            var result = done
            result.insert(contentsOf: run)
            return result
        }
    }
}
