// RFC 22 idset: a set of non-negative integer ids (broker ranks, core ids, task ranks).
// Invariant: `ranges` is ascending, its runs are disjoint and non-adjacent (at least one
// missing id separates two runs), and `count` is the sum of their sizes. Every operation
// works on runs, never on single ids, so "0-4294967294" is one run and as cheap as "7".
// Text form (parsing, `description`) lives in IDSet+Text.swift, set algebra in
// IDSet+SetAlgebra.swift.

/// A set of `UInt32` ids, stored as ascending runs of consecutive ids.
public struct IDSet: Sendable, Hashable {
    /// The runs of consecutive ids: ascending, disjoint and non-adjacent.
    public private(set) var ranges: [ClosedRange<UInt32>]
    /// The number of ids in the set.
    public private(set) var count: Int

    /// The empty set.
    public init() {
        ranges = []
        count = 0
    }

    /// The set holding every id of `range`.
    public init(range: ClosedRange<UInt32>) {
        ranges = [range]
        count = range.idCount
    }

    /// The set of the given ids, in any order; duplicates are ignored.
    public init<S: Sequence>(_ ids: S) where S.Element == UInt32 {
        var builder = Builder()
        for id in ids { builder.add(id...id) }
        self = builder.build()
    }

    /// A set from runs that already keep the invariant (ascending, disjoint, non-adjacent).
    init(normalizedRanges: [ClosedRange<UInt32>]) {
        ranges = normalizedRanges
        count = normalizedRanges.reduce(0) { $0 + $1.idCount }
    }

    /// True when the set has no ids.
    public var isEmpty: Bool { ranges.isEmpty }
    /// The smallest id, or nil when empty.
    public var first: UInt32? { ranges.first?.lowerBound }
    /// The largest id, or nil when empty.
    public var last: UInt32? { ranges.last?.upperBound }

    /// True when `id` is in the set (binary search over the runs).
    public func contains(_ id: UInt32) -> Bool {
        guard let i = runIndex(atOrBefore: id) else { return false }
        return ranges[i].contains(id)
    }

    /// The `index`-th smallest id (0-based), or nil when `index` is out of range.
    public func nth(_ index: Int) -> UInt32? {
        guard index >= 0 else { return nil }
        var remaining = index
        for run in ranges {
            let size = run.idCount
            if remaining < size { return run.lowerBound + UInt32(remaining) }
            remaining -= size
        }
        return nil
    }

    /// The position of `id` among the ids in ascending order (the inverse of `nth`),
    /// or nil when `id` is not in the set.
    public func index(of id: UInt32) -> Int? {
        guard let i = runIndex(atOrBefore: id), ranges[i].contains(id) else { return nil }
        let before = ranges[..<i].reduce(0) { $0 + $1.idCount }
        return before + Int(id - ranges[i].lowerBound)
    }

    /// Adds `id`.
    public mutating func insert(_ id: UInt32) {
        insert(contentsOf: id...id)
    }

    /// Adds every id of `range`, merging it with the runs it overlaps or touches.
    public mutating func insert(contentsOf range: ClosedRange<UInt32>) {
        let low = UInt64(range.lowerBound), high = UInt64(range.upperBound)
        // Runs from `first` up to (not including) `end` overlap or touch `range`.
        let first = ranges.partitionPoint { UInt64($0.upperBound) + 1 < low }
        var end = first
        while end < ranges.count, UInt64(ranges[end].lowerBound) <= high + 1 { end += 1 }
        var merged = range
        if first < end {
            merged = Swift.min(range.lowerBound, ranges[first].lowerBound)...Swift.max(range.upperBound, ranges[end - 1].upperBound)
            count -= ranges[first..<end].reduce(0) { $0 + $1.idCount }
        }
        ranges.replaceSubrange(first..<end, with: CollectionOfOne(merged))
        count += merged.idCount
    }

    /// Removes `id` when present.
    public mutating func remove(_ id: UInt32) {
        remove(contentsOf: id...id)
    }

    /// Removes every id of `range` that is present, splitting a run when needed.
    public mutating func remove(contentsOf range: ClosedRange<UInt32>) {
        let first = ranges.partitionPoint { $0.upperBound < range.lowerBound }
        var end = first
        while end < ranges.count, ranges[end].lowerBound <= range.upperBound { end += 1 }
        guard first < end else { return }
        var kept: [ClosedRange<UInt32>] = []
        if ranges[first].lowerBound < range.lowerBound {
            kept.append(ranges[first].lowerBound...(range.lowerBound - 1))
        }
        if ranges[end - 1].upperBound > range.upperBound {
            kept.append((range.upperBound + 1)...ranges[end - 1].upperBound)
        }
        count -= ranges[first..<end].reduce(0) { $0 + $1.idCount }
        count += kept.reduce(0) { $0 + $1.idCount }
        ranges.replaceSubrange(first..<end, with: kept)
    }

    /// The index of the last run whose lower bound is at most `id`, or nil.
    private func runIndex(atOrBefore id: UInt32) -> Int? {
        let after = ranges.partitionPoint { $0.lowerBound <= id }
        return after == 0 ? nil : after - 1
    }
}

// MARK: - Building from runs in any order

extension IDSet {
    /// Collects runs in any order, overlapping or not, and makes a set of them.
    /// Runs that arrive ascending (the usual case) are merged on the fly at no extra cost;
    /// otherwise `build` sorts once.
    struct Builder {
        private var runs: [ClosedRange<UInt32>] = []
        private var ascending = true

        /// Adds the ids of `run`.
        mutating func add(_ run: ClosedRange<UInt32>) {
            guard ascending, let last = runs.last else {
                runs.append(run)
                return
            }
            if UInt64(run.lowerBound) > UInt64(last.upperBound) + 1 {
                runs.append(run)
            } else if run.lowerBound >= last.lowerBound {
                runs[runs.count - 1] = last.lowerBound...Swift.max(last.upperBound, run.upperBound)
            } else {
                ascending = false
                runs.append(run)
            }
        }

        /// The set of every id added so far.
        func build() -> IDSet {
            if ascending { return IDSet(normalizedRanges: runs) }
            var sorted = Builder()
            for run in runs.sorted(by: { $0.lowerBound < $1.lowerBound }) { sorted.add(run) }
            return IDSet(normalizedRanges: sorted.runs)
        }
    }
}

// MARK: - Sequence and literals

extension IDSet: Sequence {
    /// Walks the ids in ascending order.
    public struct Iterator: IteratorProtocol {
        private let ranges: [ClosedRange<UInt32>]
        private var runIndex = 0
        // The next id to yield; 64 bits so that stepping past UInt32.max cannot trap.
        private var nextID: UInt64

        fileprivate init(_ ranges: [ClosedRange<UInt32>]) {
            self.ranges = ranges
            nextID = UInt64(ranges.first?.lowerBound ?? 0)
        }

        /// The next id, or nil after the largest.
        public mutating func next() -> UInt32? {
            guard runIndex < ranges.count else { return nil }
            let id = UInt32(nextID)
            if id == ranges[runIndex].upperBound {
                runIndex += 1
                if runIndex < ranges.count { nextID = UInt64(ranges[runIndex].lowerBound) }
            } else {
                nextID += 1
            }
            return id
        }
    }

    /// An iterator over the ids in ascending order.
    public func makeIterator() -> Iterator { Iterator(ranges) }

    /// The exact number of ids.
    public var underestimatedCount: Int { count }
}

extension IDSet: ExpressibleByArrayLiteral {
    /// The set of the listed ids, e.g. `[0, 1, 2, 7]`.
    public init(arrayLiteral ids: UInt32...) {
        self.init(ids)
    }
}

extension ClosedRange<UInt32> {
    /// The number of ids in the range (up to 2^32, which fits in `Int` on 64-bit hosts).
    var idCount: Int { Int(upperBound - lowerBound) + 1 }
}

extension Array {
    /// The index of the first element for which `isBefore` is false, assuming the
    /// elements for which it is true all come first (binary search).
    func partitionPoint(_ isBefore: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if isBefore(self[mid]) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
