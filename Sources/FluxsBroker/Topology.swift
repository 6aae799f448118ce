// The shape of the tree-based overlay network (TBON): which rank is whose parent.
// `kary:K` numbers ranks breadth first, K children each (rank r's children are
// K*r+1 ... K*r+K); `kary:0` is flat (rank 0 is everyone's parent). Pure arithmetic:
// no rank list is stored, so any size costs the same.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// A TBON shape over ranks 0..<size.
public struct Topology: Sendable, Hashable {
    /// Number of ranks.
    public let size: UInt32
    /// Children per broker; 0 means flat.
    public let fanout: UInt32

    /// Makes a k-ary tree (fanout 0: flat).
    public init(size: UInt32, fanout: UInt32) {
        self.size = max(size, 1)
        self.fanout = fanout
    }

    /// Parses `kary:K` (the tbon.topo attribute).
    public init(size: UInt32, spec: String) throws(ServiceError) {
        guard spec.hasPrefix("kary:"), let k = UInt32(spec.dropFirst(5)) else {
            throw ServiceError(EINVAL, "tbon.topo \"\(spec)\": expected kary:K (K = 0 for flat)")
        }
        self.init(size: size, fanout: k)
    }

    private var k: UInt64 { fanout == 0 ? UInt64(max(size - 1, 1)) : UInt64(fanout) }

    /// The parent of `rank`, nil for rank 0.
    public func parent(of rank: UInt32) -> UInt32? {
        guard rank > 0, rank < size else { return nil }
        return UInt32((UInt64(rank) - 1) / k)
    }

    /// The children of `rank`, in order.
    public func children(of rank: UInt32) -> [UInt32] {
        let first = UInt64(rank) * k + 1
        guard first < UInt64(size) else { return [] }
        let last = min(first + k - 1, UInt64(size) - 1)
        return (first...last).map { UInt32($0) }
    }

    /// Depth of `rank` (rank 0 is level 0).
    public func level(of rank: UInt32) -> Int {
        var level = 0
        var r = rank
        while let p = parent(of: r) {
            level += 1
            r = p
        }
        return level
    }

    /// The deepest level in the tree.
    public var maxLevel: Int { level(of: size - 1) }

    /// True when `rank` lies in the subtree rooted at `root` (itself included).
    public func isInSubtree(_ rank: UInt32, of root: UInt32) -> Bool {
        guard rank < size else { return false }
        var r = rank
        while true {
            if r == root { return true }
            guard let p = parent(of: r), r > root else { return false }
            r = p
        }
    }

    /// The child of `rank` whose subtree holds `target`, nil when `target` is not a
    /// strict descendant of `rank`.
    public func childToward(_ target: UInt32, from rank: UInt32) -> UInt32? {
        guard target < size, target != rank else { return nil }
        var r = target
        while let p = parent(of: r) {
            if p == rank { return r }
            if p < rank { return nil }
            r = p
        }
        return nil
    }

    /// Number of ranks below `rank` (not counting it).
    public func descendantCount(of rank: UInt32) -> Int {
        var count = 0
        var frontier = children(of: rank)
        while !frontier.isEmpty {
            count += frontier.count
            frontier = frontier.flatMap { children(of: $0) }
        }
        return count
    }

    /// The ranks below `rank`, in breadth-first order.
    public func descendants(of rank: UInt32) -> [UInt32] {
        var all: [UInt32] = []
        var frontier = children(of: rank)
        while !frontier.isEmpty {
            all += frontier
            frontier = frontier.flatMap { children(of: $0) }
        }
        return all
    }
}
