// The fixed part of a resource graph: what each node of the instance is (rank, hostname,
// properties, which core and gpu ids it holds). Built once from R; never changes after.
// Cores and gpus of a node are numbered by bit: bit b of a node's core mask is the b-th
// smallest core id of that node (likewise gpus), so masks are dense even when ids are not.
// A node's masks are `coreWords + gpuWords` UInt64 words, cores first ("stride"); every
// node uses the same stride (that of the largest node), so state arrays are flat.
// Nodes with equal ids share one `NodeShape` (a homogeneous cluster has one).
import FluxsFormats

/// The cores and gpus one kind of node holds, with their bit numbering.
struct NodeShape: Sendable {
    /// Core ids by bit, ascending.
    var coreIDs: [UInt32]
    /// GPU ids by bit, ascending.
    var gpuIDs: [UInt32]
    /// All cores, as an idset (what a whole-node allocation reports).
    var coreSet: IDSet
    /// All gpus, as an idset.
    var gpuSet: IDSet
    /// Every core and gpu bit set, `stride` words.
    var fullWords: [UInt64]
}

/// The instance's nodes, by position (ascending rank).
struct GraphNodes: Sendable {
    /// Words of core bits per node.
    let coreWords: Int
    /// Words per node (cores then gpus).
    let stride: Int
    /// Rank of each node.
    let ranks: [UInt32]
    /// Hostname of each node, when known.
    let hostnames: [String?]
    /// Properties of each node.
    let properties: [Set<String>]
    /// The shape index of each node.
    let shapeOf: [Int32]
    /// The distinct shapes.
    let shapes: [NodeShape]
    /// Core count of each node.
    let totalCores: [Int32]
    /// GPU count of each node.
    let totalGpus: [Int32]
    /// For each property name, a bitset over node positions.
    let propertyNodes: [String: [UInt64]]
    /// The positions of each host name (several when brokers share a host).
    let hostPositions: [String: [Int]]

    /// The node table of `R` (its time window is ignored).
    init(_ R: ResourceSet) {
        let nodes = R.nodes
        var shapeIndex: [[IDSet]: Int32] = [:]
        var rawShapes: [(IDSet, IDSet)] = []
        var shapeOf: [Int32] = []
        shapeOf.reserveCapacity(nodes.count)
        var maxCores = 0, maxGpus = 0
        for node in nodes {
            let key = [node.cores, node.gpus]
            if let known = shapeIndex[key] {
                shapeOf.append(known)
            } else {
                let index = Int32(rawShapes.count)
                shapeIndex[key] = index
                rawShapes.append((node.cores, node.gpus))
                shapeOf.append(index)
                maxCores = max(maxCores, node.cores.count)
                maxGpus = max(maxGpus, node.gpus.count)
            }
        }
        coreWords = max(1, (maxCores + 63) / 64)
        stride = coreWords + max(1, (maxGpus + 63) / 64)
        let (coreWords, stride) = (self.coreWords, self.stride)
        shapes = rawShapes.map { cores, gpus in
            var full = [UInt64](repeating: 0, count: stride)
            MaskBits.setLow(&full, from: 0, count: cores.count)
            MaskBits.setLow(&full, from: coreWords, count: gpus.count)
            return NodeShape(coreIDs: Array(cores), gpuIDs: Array(gpus), coreSet: cores, gpuSet: gpus, fullWords: full)
        }
        self.shapeOf = shapeOf
        ranks = nodes.map(\.rank)
        hostnames = nodes.map(\.hostname)
        properties = nodes.map(\.properties)
        let shapes = self.shapes
        totalCores = shapeOf.map { Int32(shapes[Int($0)].coreIDs.count) }
        totalGpus = shapeOf.map { Int32(shapes[Int($0)].gpuIDs.count) }
        var propertyNodes: [String: [UInt64]] = [:]
        let words = (nodes.count + 63) / 64
        for (position, node) in nodes.enumerated() {
            for name in node.properties {
                propertyNodes[name, default: [UInt64](repeating: 0, count: words)][position / 64] |= 1 << UInt64(position % 64)
            }
        }
        self.propertyNodes = propertyNodes
        var hostPositions: [String: [Int]] = [:]
        for (position, node) in nodes.enumerated() {
            if let name = node.hostname { hostPositions[name, default: []].append(position) }
        }
        self.hostPositions = hostPositions
    }

    /// The number of nodes.
    var count: Int { ranks.count }

    /// The position of `rank`, or nil.
    func position(ofRank rank: UInt32) -> Int? {
        var low = 0, high = ranks.count
        while low < high {
            let mid = (low + high) / 2
            if ranks[mid] < rank { low = mid + 1 } else { high = mid }
        }
        return low < ranks.count && ranks[low] == rank ? low : nil
    }

    /// The shape of node `position`.
    func shape(_ position: Int) -> NodeShape { shapes[Int(shapeOf[position])] }

    /// Node `position` holding the cores and gpus of `words` (a stride of mask words).
    func node(_ position: Int, words: ArraySlice<UInt64>) -> ResourceSet.Node {
        let shape = shape(position)
        let base = words.startIndex
        let whole = words.elementsEqual(shape.fullWords)
        let cores = whole ? shape.coreSet : MaskBits.ids(words[base..<(base + coreWords)], shape.coreIDs)
        let gpus = whole ? shape.gpuSet : MaskBits.ids(words[(base + coreWords)..<(base + stride)], shape.gpuIDs)
        return ResourceSet.Node(rank: ranks[position], hostname: hostnames[position], cores: cores, gpus: gpus,
                                properties: properties[position])
    }

    /// The position of `node` and the mask words of its cores and gpus; nil when its rank or
    /// one of its ids is not part of this instance.
    func words(of node: ResourceSet.Node) -> (position: Int, words: [UInt64])? {
        guard let position = position(ofRank: node.rank) else { return nil }
        let shape = shape(position)
        var words = [UInt64](repeating: 0, count: stride)
        for id in node.cores {
            guard let bit = MaskBits.index(of: id, in: shape.coreIDs) else { return nil }
            words[bit / 64] |= 1 << UInt64(bit % 64)
        }
        for id in node.gpus {
            guard let bit = MaskBits.index(of: id, in: shape.gpuIDs) else { return nil }
            words[coreWords + bit / 64] |= 1 << UInt64(bit % 64)
        }
        return (position, words)
    }
}

/// Small helpers on bit masks held in UInt64 words.
enum MaskBits {
    /// Sets bits 0..<count of the mask starting at word `from`.
    static func setLow(_ words: inout [UInt64], from: Int, count: Int) {
        var left = count, word = from
        while left > 0 {
            let take = min(64, left)
            words[word] = take == 64 ? ~0 : (1 << UInt64(take)) - 1
            left -= take
            word += 1
        }
    }

    /// Sets bits low..<high (positions over the whole mask).
    static func setRange(_ words: inout [UInt64], _ low: Int, _ high: Int) {
        var bit = low
        while bit < high {
            let word = bit / 64, offset = bit % 64
            let take = min(64 - offset, high - bit)
            words[word] |= (take == 64 ? ~0 : ((1 << UInt64(take)) - 1)) << UInt64(offset)
            bit += take
        }
    }

    /// The number of set bits.
    static func count(_ words: ArraySlice<UInt64>) -> Int {
        var total = 0
        for word in words { total += word.nonzeroBitCount }
        return total
    }

    /// The ids whose bits are set, by the numbering `ids`.
    static func ids(_ words: ArraySlice<UInt64>, _ ids: [UInt32]) -> IDSet {
        var result: [UInt32] = []
        var offset = 0
        for word in words {
            var rest = word
            while rest != 0 {
                result.append(ids[offset + rest.trailingZeroBitCount])
                rest &= rest - 1
            }
            offset += 64
        }
        return IDSet(result)
    }

    /// The bit of `id` in the ascending numbering `ids`, or nil.
    static func index(of id: UInt32, in ids: [UInt32]) -> Int? {
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id ? low : nil
    }

    /// `count` set bits of `words` (the lowest, or the highest when `high`), as a mask of the
    /// same length; nil when fewer are set.
    static func pick(_ words: ArraySlice<UInt64>, count: Int, high: Bool) -> [UInt64]? {
        var result = [UInt64](repeating: 0, count: words.count)
        var left = count
        if left == 0 { return result }
        let base = words.startIndex
        for j in 0..<words.count {
            let k = high ? words.count - 1 - j : j
            var rest = words[base + k]
            while rest != 0, left > 0 {
                let bit: UInt64 = high ? 1 << UInt64(63 - rest.leadingZeroBitCount) : rest & (~rest &+ 1)
                result[k] |= bit
                rest &= ~bit
                left -= 1
            }
            if left == 0 { return result }
        }
        return nil
    }
}
