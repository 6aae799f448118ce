// What one node of an RFC 20 resource set holds (its cores and gpus), and the palette that
// stores each distinct share once so that like nodes, the common case, cost one index each.
// Invariant: no two palette entries are equal, so equal shares have equal indices.

extension ResourceSet {
    /// The cores and gpus of one node; what an R_lite entry gives all of its ranks.
    struct Share: Sendable, Hashable {
        var cores: IDSet
        var gpus: IDSet

        init(cores: IDSet, gpus: IDSet) {
            self.cores = cores
            self.gpus = gpus
        }

        init(_ node: Node) {
            self.init(cores: node.cores, gpus: node.gpus)
        }

        var isEmpty: Bool { cores.isEmpty && gpus.isEmpty }

        func union(_ other: Share) -> Share {
            Share(cores: cores.union(other.cores), gpus: gpus.union(other.gpus))
        }

        func subtracting(_ other: Share) -> Share {
            Share(cores: Self.difference(cores, other.cores), gpus: Self.difference(gpus, other.gpus))
        }

        func intersection(_ other: Share) -> Share {
            Share(cores: cores.intersection(other.cores), gpus: gpus.intersection(other.gpus))
        }

        /// `a` minus `b`, skipping the set walk when nothing or everything goes.
        private static func difference(_ a: IDSet, _ b: IDSet) -> IDSet {
            if b.isEmpty { return a }
            if a == b { return IDSet() }
            return a.subtracting(b)
        }
    }

    /// The distinct shares of a set, each stored once and named by its index.
    struct SharePalette: Sendable {
        /// The shares, by index.
        private(set) var shares: [Share] = []
        private var indexOfShare: [Share: UInt32] = [:]

        /// The share at `index`.
        subscript(index: UInt32) -> Share { shares[Int(index)] }

        /// The index of `share`, adding it when new.
        mutating func intern(_ share: Share) -> UInt32 {
            if let known = indexOfShare[share] { return known }
            let index = UInt32(shares.count)
            shares.append(share)
            indexOfShare[share] = index
            return index
        }

        /// Drops the shares that no element of `used` names, and renumbers `used` to match.
        mutating func compact(renumbering used: inout [UInt32]) {
            var isUsed = [Bool](repeating: false, count: shares.count)
            for index in used { isUsed[Int(index)] = true }
            if !isUsed.contains(false) { return }
            var renumbered = [UInt32](repeating: 0, count: shares.count)
            var kept = SharePalette()
            for (old, share) in shares.enumerated() where isUsed[old] {
                renumbered[old] = kept.intern(share)
            }
            self = kept
            for position in used.indices { used[position] = renumbered[Int(used[position])] }
        }
    }

    /// Maps share indices of one palette to indices in another, interning each share once.
    struct ShareTranslation {
        private var target: [UInt32?]

        /// A translation out of `source`.
        init(from source: SharePalette) {
            target = Array(repeating: nil, count: source.shares.count)
        }

        /// The index in `palette` of share `index` of `source`.
        mutating func index(_ index: UInt32, of source: SharePalette, in palette: inout SharePalette) -> UInt32 {
            if let known = target[Int(index)] { return known }
            let translated = palette.intern(source[index])
            target[Int(index)] = translated
            return translated
        }
    }

    /// A node's share index in each of two sets, for remembering per-pair results.
    struct SharePair: Hashable {
        var mine: UInt32
        var theirs: UInt32
    }
}
