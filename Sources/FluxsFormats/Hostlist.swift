// RFC 29 hostlist: an ordered list of host names (duplicates allowed), written compactly
// as "node[0-3,7],login1". The list is stored as runs (see Hostlist+Run.swift), never
// expanded, so "n[0-999999]" is one run and count, nth and description cost O(runs).
// Invariants: `ends[i]` is the number of hosts in `runs[0...i]`; appending merges a run
// into the last one whenever its hosts continue it, whatever the spelling ("n1,n2" and
// "n[1-2]" store the same single run).
// Parsing is in Hostlist+Text.swift, sorting and set algebra in Hostlist+SetAlgebra.swift.

/// An ordered list of host names, kept compressed.
public struct Hostlist: Sendable {
    /// The runs of hosts, in list order.
    private(set) var runs: [Run] = []
    /// `ends[i]` is the number of hosts in `runs[0...i]` (for binary search by index).
    private var ends: [Int] = []

    /// The empty list.
    public init() {}

    /// The list of `hosts`, in the given order, duplicates kept. Names are taken as they
    /// are; one holding "," "[" or "]" will not survive a trip through `description`.
    public init(_ hosts: [String]) {
        for host in hosts { append(Run(host: host), anySpelling: true) }
    }

    /// The number of hosts.
    public var count: Int { ends.last ?? 0 }

    /// True when the list has no host.
    public var isEmpty: Bool { runs.isEmpty }

    /// The host at `index`, which must be in `0..<count`.
    public subscript(index: Int) -> String {
        guard let host = nth(index) else { preconditionFailure("hostlist index \(index) out of range 0..<\(count)") }
        return host
    }

    /// The host at `index` (0-based), or nil when out of range.
    public func nth(_ index: Int) -> String? {
        guard index >= 0, index < count else { return nil }
        let run = ends.partitionPoint { $0 <= index }
        return runs[run].host(at: index - start(ofRun: run))
    }

    /// The index of the first occurrence of `host`, or nil when the list does not hold it.
    public func firstIndex(of host: String) -> Int? {
        for (i, run) in runs.enumerated() {
            if let offset = run.offset(of: host) { return start(ofRun: i) + offset }
        }
        return nil
    }

    /// Every host, in order (this expands the list: mind huge ranges).
    public var hosts: [String] { Array(self) }

    /// Appends the hosts of `other` after those of this list.
    public mutating func append(_ other: Hostlist) {
        for run in other.runs { append(run, anySpelling: true) }
    }

    /// Appends the hosts of `run`, merging it into the last run when it continues it
    /// (see `Run.absorb(_:anySpelling:)`).
    mutating func append(_ run: Run, anySpelling: Bool) {
        if let last = runs.indices.last, runs[last].absorb(run, anySpelling: anySpelling) {
            ends[last] += run.count
        } else {
            runs.append(run)
            ends.append(count + run.count)
        }
    }

    /// The index of the first host of `runs[run]`.
    private func start(ofRun run: Int) -> Int { run == 0 ? 0 : ends[run - 1] }
}

// MARK: - Sequence

extension Hostlist: Sequence {
    /// Walks the hosts in list order.
    public struct Iterator: IteratorProtocol {
        private let runs: [Run]
        private var runIndex = 0
        private var offset = 0

        fileprivate init(_ runs: [Run]) { self.runs = runs }

        /// The next host, or nil after the last.
        public mutating func next() -> String? {
            guard runIndex < runs.count else { return nil }
            let host = runs[runIndex].host(at: offset)
            offset += 1
            if offset == runs[runIndex].count {
                runIndex += 1
                offset = 0
            }
            return host
        }
    }

    /// An iterator over the hosts in list order.
    public func makeIterator() -> Iterator { Iterator(runs) }

    /// The exact number of hosts.
    public var underestimatedCount: Int { count }
}

// MARK: - Equality

extension Hostlist: Hashable {
    /// True when both lists hold the same hosts in the same order, however they are
    /// spelled ("n[01-02]" equals "n01,n02" and "n0[1-2]").
    public static func == (lhs: Hostlist, rhs: Hostlist) -> Bool {
        if lhs.runs == rhs.runs { return true }
        return lhs.count == rhs.count && lhs.canonicalRuns() == rhs.canonicalRuns()
    }

    /// Hashes the count and the first and last hosts: cheap, and equal for equal lists.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(nth(0))
        hasher.combine(nth(count - 1))
    }
}
