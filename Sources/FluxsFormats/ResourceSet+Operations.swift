// Set algebra on RFC 20 resource sets, rank by rank: what a scheduler does when it allocates
// (intersection, restriction), frees (union) and accounts (difference).
// Each distinct pair of shares is combined once, however many nodes hold it, so a
// 10,000-node homogeneous set costs little more than its columns. Every result keeps the
// receiver's time window; it keeps the opaque `scheduling` member only when it holds nodes
// (union falls back to the other's) and drops `nslots`, which described the inputs. Nodes
// left with no cores and no gpus are dropped from differences and intersections.

extension ResourceSet {
    /// Both sets' resources; a rank in both gets the union of its cores, gpus and properties,
    /// and a hostname known to one side. Throws when a rank has a different hostname in each set.
    public func union(_ other: ResourceSet) throws(ParseError) -> ResourceSet {
        var result = derived(scheduling: scheduling ?? other.scheduling)
        var fromMine = ShareTranslation(from: palette), fromTheirs = ShareTranslation(from: other.palette)
        var fromBoth: [SharePair: UInt32] = [:]
        var i = 0, j = 0
        while i < nnodes || j < other.nnodes {
            if j == other.nnodes || (i < nnodes && nodeRanks[i] < other.nodeRanks[j]) {
                let share = fromMine.index(nodeShares[i], of: palette, in: &result.palette)
                result.appendNode(rank: nodeRanks[i], hostname: nodeHostnames[i], shareIndex: share)
                i += 1
            } else if i == nnodes || other.nodeRanks[j] < nodeRanks[i] {
                let share = fromTheirs.index(other.nodeShares[j], of: other.palette, in: &result.palette)
                result.appendNode(rank: other.nodeRanks[j], hostname: other.nodeHostnames[j], shareIndex: share)
                j += 1
            } else {
                let hostname = try unionHostname(ofRank: nodeRanks[i], nodeHostnames[i], other.nodeHostnames[j])
                let pair = SharePair(mine: nodeShares[i], theirs: other.nodeShares[j])
                let share = fromBoth[pair] ?? result.palette.intern(palette[pair.mine].union(other.palette[pair.theirs]))
                fromBoth[pair] = share
                result.appendNode(rank: nodeRanks[i], hostname: hostname, shareIndex: share)
                i += 1
                j += 1
            }
        }
        result.propertyRanks = propertyRanks.merging(other.propertyRanks) { $0.union($1) }
        return result
    }

    /// This set without the cores and gpus of `other`, rank by rank.
    public func subtracting(_ other: ResourceSet) -> ResourceSet {
        var result = self
        result.nslots = nil
        var remaining: [SharePair: UInt32?] = [:]  // nil: nothing remains
        var emptied = RangeSet<Int>()
        for j in other.nodeRanks.indices {
            guard let i = index(ofRank: other.nodeRanks[j]) else { continue }
            let pair = SharePair(mine: nodeShares[i], theirs: other.nodeShares[j])
            let share: UInt32?
            if let known = remaining[pair] {
                share = known
            } else {
                let left = palette[pair.mine].subtracting(other.palette[pair.theirs])
                share = left.isEmpty ? nil : result.palette.intern(left)
                remaining.updateValue(share, forKey: pair)
            }
            if let share { result.nodeShares[i] = share } else { emptied.insert(i, within: nodeRanks) }
        }
        result.removeNodes(at: emptied)
        result.palette.compact(renumbering: &result.nodeShares)
        if result.isEmpty { result.scheduling = nil }
        return result
    }

    /// The cores and gpus both sets hold, rank by rank, with this set's properties and the
    /// hostname either side knows. A rank whose hostname differs between the sets is left out.
    public func intersection(_ other: ResourceSet) -> ResourceSet {
        var result = derived(scheduling: scheduling)
        var common: [SharePair: UInt32?] = [:]  // nil: nothing in common
        let selfIsSmaller = nnodes <= other.nnodes
        let (small, large) = selfIsSmaller ? (self, other) : (other, self)
        for k in small.nodeRanks.indices {
            guard let l = large.index(ofRank: small.nodeRanks[k]) else { continue }
            let (i, j) = selfIsSmaller ? (k, l) : (l, k)
            let (mine, theirs) = (nodeHostnames[i], other.nodeHostnames[j])
            if let mine, let theirs, mine != theirs { continue }
            let pair = SharePair(mine: nodeShares[i], theirs: other.nodeShares[j])
            let share: UInt32?
            if let known = common[pair] {
                share = known
            } else {
                let both = palette[pair.mine].intersection(other.palette[pair.theirs])
                share = both.isEmpty ? nil : result.palette.intern(both)
                common.updateValue(share, forKey: pair)
            }
            if let share { result.appendNode(rank: nodeRanks[i], hostname: mine ?? theirs, shareIndex: share) }
        }
        result.propertyRanks = propertyRanks(restrictedTo: result.ranks)
        if result.isEmpty { result.scheduling = nil }
        return result
    }

    /// The nodes whose rank is in `ranks`, whole.
    public func restricted(to ranks: IDSet) -> ResourceSet {
        let kept = indices(of: ranks)
        var result = self
        result.nslots = nil
        result.nodeRanks = Array(nodeRanks[kept])
        result.nodeShares = Array(nodeShares[kept])
        result.nodeHostnames = Array(nodeHostnames[kept])
        result.palette.compact(renumbering: &result.nodeShares)
        result.propertyRanks = propertyRanks(restrictedTo: ranks)
        if result.isEmpty { result.scheduling = nil }
        return result
    }

    /// An empty set with this set's window, to be filled by an operation.
    private func derived(scheduling: JSONValue?) -> ResourceSet {
        var result = ResourceSet()
        result.starttime = starttime
        result.expiration = expiration
        result.scheduling = scheduling
        return result
    }

    /// The hostname of a rank present in both sets of a union.
    private func unionHostname(ofRank rank: UInt32, _ mine: String?, _ theirs: String?) throws(ParseError) -> String? {
        if let mine, let theirs, mine != theirs {
            throw ParseError("resource set union: rank \(rank) is host \"\(mine)\" in one set and \"\(theirs)\" in the other")
        }
        return mine ?? theirs
    }

    /// `propertyRanks` limited to `ranks`, without properties left with none.
    private func propertyRanks(restrictedTo ranks: IDSet) -> [String: IDSet] {
        propertyRanks.compactMapValues { holders in
            let kept = holders.intersection(ranks)
            return kept.isEmpty ? nil : kept
        }
    }

    /// Removes the nodes at `positions` from every column and from the properties.
    private mutating func removeNodes(at positions: RangeSet<Int>) {
        if positions.isEmpty { return }
        let removed = Self.idset(ascending: nodeRanks[positions])
        nodeRanks.removeSubranges(positions)
        nodeShares.removeSubranges(positions)
        nodeHostnames.removeSubranges(positions)
        propertyRanks = propertyRanks.compactMapValues { holders in
            let kept = holders.subtracting(removed)
            return kept.isEmpty ? nil : kept
        }
    }
}

extension ResourceSet {
    /// The set as a child instance sees it: ranks 0..<n in the order of the original
    /// ranks, and on each node its cores and GPUs numbered from 0 in order (what the
    /// child's brokers discover on the CPUs they are bound to, and the GPU numbers
    /// CUDA_VISIBLE_DEVICES gives them). Hostnames, properties and the time window stay.
    public func renumbered() -> ResourceSet {
        let renamed = nodes.enumerated().map { index, node in
            Node(rank: UInt32(index), hostname: node.hostname, cores: IDSet(0..<UInt32(node.cores.count)),
                 gpus: IDSet(0..<UInt32(node.gpus.count)), properties: node.properties)
        }
        return ResourceSet(nodes: renamed, starttime: starttime, expiration: expiration)
    }
}
