// The changing part of a resource graph at one instant: which cores and gpus of each node
// are free, which nodes are usable, and the index over them. A plain value: the planner
// copies it and plays releases forward in time on the copy.
// Invariants: for every node, freeCores/freeGpus are the popcounts of its free words; the
// index and the usable totals agree with those counts and `usable`. Every change to a node
// goes through `update(_:)`, which keeps them so.

/// Free resources of every node at one instant.
struct GraphState: Sendable {
    /// Words per node, as in GraphNodes.
    let stride: Int
    /// Words of core bits per node.
    let coreWords: Int
    /// Free core and gpu bits, `stride` words per node.
    private(set) var free: [UInt64]
    /// Free cores per node.
    private(set) var freeCores: [Int32]
    /// Free gpus per node.
    private(set) var freeGpus: [Int32]
    /// Cores per node.
    let totalCores: [Int32]
    /// GPUs per node.
    let totalGpus: [Int32]
    /// False for nodes that are down or drained.
    private(set) var usable: [Bool]
    /// The index over free counts.
    private(set) var index: NodeIndex
    /// Free cores over usable nodes.
    private(set) var usableFreeCores = 0
    /// Free gpus over usable nodes.
    private(set) var usableFreeGpus = 0
    /// Usable nodes with nothing allocated.
    private(set) var idleCount = 0

    /// Every node free and usable.
    init(_ nodes: GraphNodes) {
        stride = nodes.stride
        coreWords = nodes.coreWords
        var free: [UInt64] = []
        free.reserveCapacity(nodes.count * stride)
        for position in 0..<nodes.count { free.append(contentsOf: nodes.shape(position).fullWords) }
        self.free = free
        freeCores = nodes.totalCores
        freeGpus = nodes.totalGpus
        totalCores = nodes.totalCores
        totalGpus = nodes.totalGpus
        usable = [Bool](repeating: true, count: nodes.count)
        index = NodeIndex(count: nodes.count, maxCores: Int(nodes.totalCores.max() ?? 0))
        for position in 0..<nodes.count {
            index.set(position, cores: freeCores[position], gpus: freeGpus[position], idle: true)
            usableFreeCores += Int(freeCores[position])
            usableFreeGpus += Int(freeGpus[position])
        }
        idleCount = nodes.count
    }

    /// The number of nodes.
    var count: Int { usable.count }

    /// True when node `position` has nothing allocated.
    func isIdle(_ position: Int) -> Bool {
        freeCores[position] == totalCores[position] && freeGpus[position] == totalGpus[position]
    }

    /// The free words of node `position`.
    func freeWords(_ position: Int) -> ArraySlice<UInt64> {
        free[(position * stride)..<((position + 1) * stride)]
    }

    /// True when every bit of `words` is free on node `position`.
    func isFree(_ position: Int, _ words: ArraySlice<UInt64>) -> Bool {
        let base = position * stride
        for k in 0..<stride where words[words.startIndex + k] & ~free[base + k] != 0 { return false }
        return true
    }

    /// Takes the bits of `words` (which must be free) on node `position`.
    mutating func take(_ position: Int, _ words: ArraySlice<UInt64>) {
        update(position) { state in
            let base = position * state.stride
            for k in 0..<state.stride { state.free[base + k] &= ~words[words.startIndex + k] }
        }
    }

    /// Gives back the bits of `words` on node `position`.
    mutating func give(_ position: Int, _ words: ArraySlice<UInt64>) {
        update(position) { state in
            let base = position * state.stride
            for k in 0..<state.stride { state.free[base + k] |= words[words.startIndex + k] }
        }
    }

    /// Marks node `position` usable or not.
    mutating func setUsable(_ position: Int, _ isUsable: Bool) {
        if usable[position] == isUsable { return }
        update(position) { $0.usable[position] = isUsable }
    }

    /// Applies `change` to node `position` and brings its counts, totals and index up to date.
    private mutating func update(_ position: Int, _ change: (inout GraphState) -> Void) {
        if usable[position] {
            usableFreeCores -= Int(freeCores[position])
            usableFreeGpus -= Int(freeGpus[position])
            if isIdle(position) { idleCount -= 1 }
        }
        change(&self)
        let base = position * stride
        freeCores[position] = Int32(MaskBits.count(free[base..<(base + coreWords)]))
        freeGpus[position] = Int32(MaskBits.count(free[(base + coreWords)..<(base + stride)]))
        let idle = isIdle(position)
        if usable[position] {
            usableFreeCores += Int(freeCores[position])
            usableFreeGpus += Int(freeGpus[position])
            if idle { idleCount += 1 }
            index.set(position, cores: freeCores[position], gpus: freeGpus[position], idle: idle)
        } else {
            index.set(position, cores: -1, gpus: -1, idle: false)
        }
    }
}
