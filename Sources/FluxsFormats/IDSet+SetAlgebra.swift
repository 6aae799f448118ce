// Set algebra on idsets (RFC 22). Each operation walks both run lists once, in order,
// so it costs O(runs of self + runs of other) whatever the number of ids.

extension IDSet {
    /// The ids in `self`, in `other`, or in both.
    public func union(_ other: IDSet) -> IDSet {
        var builder = Builder()
        var i = 0, j = 0
        while i < ranges.count || j < other.ranges.count {
            let takeMine = j == other.ranges.count
                || (i < ranges.count && ranges[i].lowerBound <= other.ranges[j].lowerBound)
            if takeMine {
                builder.add(ranges[i])
                i += 1
            } else {
                builder.add(other.ranges[j])
                j += 1
            }
        }
        return builder.build()
    }

    /// The ids in both `self` and `other`.
    public func intersection(_ other: IDSet) -> IDSet {
        var common: [ClosedRange<UInt32>] = []
        var i = 0, j = 0
        while i < ranges.count, j < other.ranges.count {
            let a = ranges[i], b = other.ranges[j]
            let low = Swift.max(a.lowerBound, b.lowerBound), high = Swift.min(a.upperBound, b.upperBound)
            if low <= high { common.append(low...high) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return IDSet(normalizedRanges: common)
    }

    /// The ids in `self` that are not in `other`.
    public func subtracting(_ other: IDSet) -> IDSet {
        var kept: [ClosedRange<UInt32>] = []
        for run in ranges { kept += other.gaps(in: run) }
        return IDSet(normalizedRanges: kept)
    }

    /// True when every id of `self` is in `other`.
    public func isSubset(of other: IDSet) -> Bool {
        ranges.allSatisfy { run in
            let i = other.ranges.partitionPoint { $0.upperBound < run.lowerBound }
            return i < other.ranges.count && other.ranges[i].lowerBound <= run.lowerBound
                && other.ranges[i].upperBound >= run.upperBound
        }
    }

    /// True when `self` and `other` have no id in common.
    public func isDisjoint(with other: IDSet) -> Bool {
        intersection(other).isEmpty
    }

    /// The parts of `run` that are not in the set, ascending.
    func gaps(in run: ClosedRange<UInt32>) -> [ClosedRange<UInt32>] {
        var gaps: [ClosedRange<UInt32>] = []
        // `next` is the first id of `run` not yet accounted for (64 bits: it may pass UInt32.max).
        var next = UInt64(run.lowerBound)
        var i = ranges.partitionPoint { $0.upperBound < run.lowerBound }
        while i < ranges.count, ranges[i].lowerBound <= run.upperBound {
            if UInt64(ranges[i].lowerBound) > next {
                gaps.append(UInt32(next)...(ranges[i].lowerBound - 1))
            }
            next = UInt64(ranges[i].upperBound) + 1
            i += 1
        }
        if next <= UInt64(run.upperBound) { gaps.append(UInt32(next)...run.upperBound) }
        return gaps
    }
}
