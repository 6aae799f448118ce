// A job's node constraint (RFC 31) evaluated once per match into a bitset over node
// positions, so that the matcher tests one bit per node whatever the constraint.
// Semantics are flux-core's (librlist match.c): a property matches a node that has it or
// whose host name it is ("^name" negates); `hostlist` matches nodes named in it, `ranks`
// nodes whose rank is in it; `and` of nothing matches all, `or` of nothing matches all,
// `not` is the negation of the `and` of its operands. Cost: word operations over the
// bitsets of properties, one dictionary lookup per host of a hostlist (or one membership
// test per node when the hostlist is the longer), two binary searches and a run of words per idset range.
import FluxsFormats

extension GraphNodes {
    /// Words of a bitset over node positions.
    var maskWords: Int { (count + 63) / 64 }

    /// The bitset of nodes satisfying `constraint`.
    func mask(_ constraint: JobConstraint) -> [UInt64] {
        switch constraint {
        case .any:
            return allMask()
        case .properties(let names):
            var result = allMask()
            for name in names {
                let negated = name.hasPrefix("^")
                var bits = propertyMask(negated ? String(name.dropFirst()) : name)
                if negated { complement(&bits) }
                for k in 0..<result.count { result[k] &= bits[k] }
            }
            return result
        case .hostlist(let hosts):
            var result = [UInt64](repeating: 0, count: maskWords)
            if hosts.count <= count {
                for host in hosts {
                    for position in hostPositions[host] ?? [] { result[position / 64] |= 1 << UInt64(position % 64) }
                }
            } else {
                for (position, name) in hostnames.enumerated() {
                    if let name, hosts.firstIndex(of: name) != nil { result[position / 64] |= 1 << UInt64(position % 64) }
                }
            }
            return result
        case .ranks(let wanted):
            var result = [UInt64](repeating: 0, count: maskWords)
            for range in wanted.ranges {
                let low = lowerBound(rank: range.lowerBound)
                let high = range.upperBound == .max ? count : lowerBound(rank: range.upperBound + 1)
                if high > low { MaskBits.setRange(&result, low, high) }
            }
            return result
        case .and(let items):
            var result = allMask()
            for item in items {
                let bits = mask(item)
                for k in 0..<result.count { result[k] &= bits[k] }
            }
            return result
        case .or(let items):
            if items.isEmpty { return allMask() }
            var result = [UInt64](repeating: 0, count: maskWords)
            for item in items {
                let bits = mask(item)
                for k in 0..<result.count { result[k] |= bits[k] }
            }
            return result
        case .not(let items):
            var result = mask(.and(items))
            complement(&result)
            return result
        }
    }

    /// Nodes with property `name`, or named `name`.
    private func propertyMask(_ name: String) -> [UInt64] {
        var bits = propertyNodes[name] ?? [UInt64](repeating: 0, count: maskWords)
        for position in hostPositions[name] ?? [] { bits[position / 64] |= 1 << UInt64(position % 64) }
        return bits
    }

    /// Every node.
    private func allMask() -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: maskWords)
        MaskBits.setLow(&bits, from: 0, count: count)
        return bits
    }

    /// Flips every node's bit (and no bit past the last node).
    private func complement(_ bits: inout [UInt64]) {
        for k in 0..<bits.count { bits[k] = ~bits[k] }
        if count % 64 != 0, !bits.isEmpty { bits[bits.count - 1] &= (1 << UInt64(count % 64)) - 1 }
    }

    /// The first position whose rank is at least `rank`.
    private func lowerBound(rank: UInt32) -> Int {
        var low = 0, high = ranks.count
        while low < high {
            let mid = (low + high) / 2
            if ranks[mid] < rank { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// True when some node has property `name` or is named `name`.
    func hasProperty(_ name: String) -> Bool {
        propertyNodes[name] != nil || hostPositions[name] != nil
    }
}
