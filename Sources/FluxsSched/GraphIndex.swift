// Index structures over the nodes so that matching never scans every node:
// - a max segment tree over node positions of (free cores, free gpus, idle) answers "the
//   lowest (or highest) position at or after (before) p whose node has at least a free cores,
//   b free gpus [and is idle]" in O(log n) (first and high policies);
// - buckets of nodes by free core count (one bitset over positions per count) give nodes in
//   order of free cores, ascending or descending (best and locality policies).
// Unusable nodes (down, drained) are in no bucket and have -1 in the tree, so no query
// with non-negative minimums finds them.

/// The free-capacity index of the nodes.
struct NodeIndex: Sendable {
    /// Leaves in the tree (a power of two).
    private let size: Int
    /// The number of nodes.
    private let count: Int
    /// Max free cores per tree vertex (vertex 1 is the root; leaves at size + position).
    private var cores: [Int32]
    /// Max free gpus per tree vertex.
    private var gpus: [Int32]
    /// 1 when some node below the vertex is idle and usable.
    private var idle: [Int8]
    /// Words per bucket bitset.
    private let bucketWords: Int
    /// Bucket bitsets, `bucketWords` per free-core count 0...maxCores.
    private var buckets: [UInt64]
    /// Nodes per bucket.
    private var bucketSizes: [Int32]
    /// Each node's bucket, -1 when in none.
    private var bucketOf: [Int32]

    /// An index of `count` nodes, none usable yet; `maxCores` bounds free-core counts.
    init(count: Int, maxCores: Int) {
        var size = 1
        while size < count { size *= 2 }
        self.size = size
        self.count = count
        cores = [Int32](repeating: -1, count: 2 * size)
        gpus = [Int32](repeating: -1, count: 2 * size)
        idle = [Int8](repeating: 0, count: 2 * size)
        bucketWords = (count + 63) / 64
        buckets = [UInt64](repeating: 0, count: bucketWords * (maxCores + 1))
        bucketSizes = [Int32](repeating: 0, count: maxCores + 1)
        bucketOf = [Int32](repeating: -1, count: count)
    }

    /// The highest free-core count a bucket can hold.
    var maxCores: Int { bucketSizes.count - 1 }

    /// Records node `position`'s free counts; negative counts mean unusable.
    mutating func set(_ position: Int, cores freeCores: Int32, gpus freeGpus: Int32, idle isIdle: Bool) {
        var vertex = size + position
        cores[vertex] = freeCores
        gpus[vertex] = freeGpus
        idle[vertex] = isIdle ? 1 : 0
        vertex /= 2
        while vertex >= 1 {
            let (l, r) = (2 * vertex, 2 * vertex + 1)
            let c = max(cores[l], cores[r]), g = max(gpus[l], gpus[r]), i = max(idle[l], idle[r])
            if c == cores[vertex] && g == gpus[vertex] && i == idle[vertex] { break }
            cores[vertex] = c
            gpus[vertex] = g
            idle[vertex] = i
            vertex /= 2
        }
        let bucket = freeCores < 0 ? -1 : freeCores
        let old = bucketOf[position]
        if old == bucket { return }
        let (word, bit) = (position / 64, UInt64(1) << UInt64(position % 64))
        if old >= 0 {
            buckets[Int(old) * bucketWords + word] &= ~bit
            bucketSizes[Int(old)] -= 1
        }
        if bucket >= 0 {
            buckets[Int(bucket) * bucketWords + word] |= bit
            bucketSizes[Int(bucket)] += 1
        }
        bucketOf[position] = bucket
    }

    @inline(__always)
    private func fits(_ vertex: Int, _ a: Int32, _ b: Int32, _ needIdle: Bool) -> Bool {
        cores[vertex] >= a && gpus[vertex] >= b && (!needIdle || idle[vertex] != 0)
    }

    /// The lowest position >= `from` with at least `a` free cores and `b` free gpus (and idle
    /// when `needIdle`), or nil.
    func first(from: Int, cores a: Int32, gpus b: Int32, idle needIdle: Bool) -> Int? {
        if from >= count { return nil }
        return descendFirst(1, 0, size, from, a, b, needIdle)
    }

    private func descendFirst(_ v: Int, _ lo: Int, _ hi: Int, _ from: Int, _ a: Int32, _ b: Int32, _ needIdle: Bool) -> Int? {
        if hi <= from || !fits(v, a, b, needIdle) { return nil }
        if hi - lo == 1 { return lo }
        let mid = (lo + hi) / 2
        return descendFirst(2 * v, lo, mid, from, a, b, needIdle) ?? descendFirst(2 * v + 1, mid, hi, from, a, b, needIdle)
    }

    /// The highest position < `before` with at least `a` free cores and `b` free gpus (and
    /// idle when `needIdle`), or nil.
    func last(before: Int, cores a: Int32, gpus b: Int32, idle needIdle: Bool) -> Int? {
        if before <= 0 { return nil }
        return descendLast(1, 0, size, before, a, b, needIdle)
    }

    private func descendLast(_ v: Int, _ lo: Int, _ hi: Int, _ before: Int, _ a: Int32, _ b: Int32, _ needIdle: Bool) -> Int? {
        if lo >= before || !fits(v, a, b, needIdle) { return nil }
        if hi - lo == 1 { return lo }
        let mid = (lo + hi) / 2
        return descendLast(2 * v + 1, mid, hi, before, a, b, needIdle) ?? descendLast(2 * v, lo, mid, before, a, b, needIdle)
    }

    /// Calls `body` with the usable nodes having at least `a` free cores, by free cores
    /// (ascending, or descending when `descending`), then position; stops when it returns false.
    func byFreeCores(atLeast a: Int, descending: Bool, _ body: (Int) -> Bool) {
        let low = max(0, a)
        guard low <= maxCores else { return }
        for k in 0...(maxCores - low) {
            let bucket = descending ? maxCores - k : low + k
            if bucketSizes[bucket] == 0 { continue }
            let base = bucket * bucketWords
            for w in 0..<bucketWords {
                var rest = buckets[base + w]
                while rest != 0 {
                    if !body(w * 64 + rest.trailingZeroBitCount) { return }
                    rest &= rest - 1
                }
            }
        }
    }
}
