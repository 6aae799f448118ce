// Sorting, de-duplication and set algebra on hostlists (RFC 29).
// Hosts are compared through their canonical split (Run.init(host:): prefix, number and
// suffix around the last digits), which is unique for a name whatever the spelling it came
// in ("n0[1-2]" and "n[01-02]" both give n + 01, n + 02). Runs already split that way are
// used as they are, so the work is per run and per number range (IDSet), not per host;
// only runs spelled otherwise ("foo[0-4]-eth2": the last digits are in the suffix) are
// split host by host.
// Order ("sorted"): by prefix with digit runs compared as numbers ("rack2" < "rack10"),
// then by suffix, then by number (a name without number first; "n1" before "n01").

extension Hostlist {
    /// The hosts sorted by prefix, suffix and number; duplicates are kept.
    public func sorted() -> Hostlist {
        var groups: [Shape: [ClosedRange<UInt32>]] = [:]
        forEachCanonicalPiece { shape, numbers in groups[shape, default: []].append(numbers) }
        return Hostlist(ordering: groups)
    }

    /// The hosts in list order, each only at its first occurrence.
    public func deduplicated() -> Hostlist {
        var seen: [Shape: IDSet] = [:]
        var result = Hostlist()
        forEachCanonicalPiece { shape, numbers in
            for part in seen[shape]?.gaps(in: numbers) ?? [numbers] {
                result.append(Run(shape, part), anySpelling: true)
            }
            seen[shape, default: IDSet()].insert(contentsOf: numbers)
        }
        return result
    }

    /// The hosts in `self`, in `other` or in both, sorted, each once.
    public func union(_ other: Hostlist) -> Hostlist {
        var sets = canonicalSets()
        for (shape, numbers) in other.canonicalSets() {
            sets[shape] = sets[shape].map { $0.union(numbers) } ?? numbers
        }
        return Hostlist(ordering: sets.mapValues(\.ranges))
    }

    /// The hosts in both `self` and `other`, sorted, each once.
    public func intersection(_ other: Hostlist) -> Hostlist {
        let theirs = other.canonicalSets()
        var common: [Shape: [ClosedRange<UInt32>]] = [:]
        for (shape, numbers) in canonicalSets() {
            guard let both = theirs[shape]?.intersection(numbers), !both.isEmpty else { continue }
            common[shape] = both.ranges
        }
        return Hostlist(ordering: common)
    }

    /// The hosts of `self` that are not in `other`, in list order, duplicates kept.
    public func subtracting(_ other: Hostlist) -> Hostlist {
        let removed = other.canonicalSets()
        var result = Hostlist()
        forEachCanonicalPiece { shape, numbers in
            for part in removed[shape]?.gaps(in: numbers) ?? [numbers] {
                result.append(Run(shape, part), anySpelling: true)
            }
        }
        return result
    }

    /// The runs of the canonical spelling of the list: equal for equal lists.
    func canonicalRuns() -> [Run] {
        var canonical = Hostlist()
        forEachCanonicalPiece { canonical.append(Run($0, $1), anySpelling: false) }
        return canonical.runs
    }

    /// Every canonical piece of the list, in list order.
    private func forEachCanonicalPiece(_ body: (Shape, ClosedRange<UInt32>) -> Void) {
        for run in runs { run.forEachCanonicalPiece(body) }
    }

    /// The set of numbers each shape has in the list.
    private func canonicalSets() -> [Shape: IDSet] {
        var sets: [Shape: IDSet] = [:]
        forEachCanonicalPiece { shape, numbers in sets[shape, default: IDSet()].insert(contentsOf: numbers) }
        return sets
    }

    /// The sorted list of the given pieces: each shape's number ranges may overlap
    /// (overlaps are duplicate hosts and are kept). Works per range; only the numbers
    /// where several ranges overlap are laid out one by one.
    private init(ordering groups: [Shape: [ClosedRange<UInt32>]]) {
        let shapes = groups.keys.sorted(by: Shape.precedes)
        var first = 0
        while first < shapes.count {
            var end = first + 1
            while end < shapes.count, shapes[end].sharesText(with: shapes[first]) { end += 1 }
            // Shapes first..<end differ only by width: merge them by number.
            let layers = shapes[first..<end].map { ($0, Self.multiplicities(of: groups[$0] ?? [])) }
            appendMerged(layers)
            first = end
        }
    }

    /// Appends the hosts of `layers` (one per width of the same prefix and suffix) in
    /// number order; at equal numbers, smaller widths first.
    private mutating func appendMerged(_ layers: [(Shape, [(numbers: ClosedRange<UInt32>, times: Int)])]) {
        var bounds: [UInt64] = []
        for (_, segments) in layers {
            for segment in segments {
                bounds.append(UInt64(segment.numbers.lowerBound))
                bounds.append(UInt64(segment.numbers.upperBound) + 1)
            }
        }
        bounds = Array(Set(bounds)).sorted()
        var next = [Int](repeating: 0, count: layers.count)
        for (low, high) in zip(bounds, bounds.dropFirst()) {
            // The layers covering low..<high, with how many times each holds those numbers.
            var covering: [(shape: Shape, times: Int)] = []
            for (k, (shape, segments)) in layers.enumerated() {
                while next[k] < segments.count, UInt64(segments[next[k]].numbers.upperBound) < low { next[k] += 1 }
                if next[k] < segments.count, UInt64(segments[next[k]].numbers.lowerBound) <= low {
                    covering.append((shape, segments[next[k]].times))
                }
            }
            let span = UInt32(low)...UInt32(high - 1)
            if covering.count == 1, covering[0].times == 1 {
                append(Run(covering[0].shape, span), anySpelling: true)
                continue
            }
            for n in span {
                for (shape, times) in covering {
                    for _ in 0..<times { append(Run(shape, n...n), anySpelling: true) }
                }
            }
        }
    }

    /// The ranges of `numbers` (which may overlap) as ascending disjoint segments, each
    /// with how many of the ranges hold it.
    private static func multiplicities(of numbers: [ClosedRange<UInt32>]) -> [(numbers: ClosedRange<UInt32>, times: Int)] {
        var events: [(at: UInt64, change: Int)] = []
        for range in numbers {
            events.append((UInt64(range.lowerBound), 1))
            events.append((UInt64(range.upperBound) + 1, -1))
        }
        events.sort { $0.at < $1.at }
        var segments: [(numbers: ClosedRange<UInt32>, times: Int)] = []
        var depth = 0, i = 0
        while i < events.count {
            let at = events[i].at
            while i < events.count, events[i].at == at {
                depth += events[i].change
                i += 1
            }
            if depth > 0, i < events.count {
                segments.append((UInt32(at)...UInt32(events[i].at - 1), depth))
            }
        }
        return segments
    }
}

// MARK: - Canonical pieces

extension Hostlist {
    /// What the hosts of a canonical piece share: the text around the number and how the
    /// number is padded. Hosts of one shape are told apart by their number alone.
    struct Shape: Hashable {
        /// The text before the number (the whole name when there is no number).
        var prefix: String
        /// The text after the number; it holds no digit.
        var suffix: String
        /// False for a name without a number.
        var isNumbered: Bool
        /// The printed width of every number of the shape when padded, else 0.
        var width: Int

        /// True when both shapes have the same text and differ at most by width.
        func sharesText(with other: Shape) -> Bool {
            prefix == other.prefix && suffix == other.suffix && isNumbered == other.isNumbered
        }

        /// The sort order of shapes: prefix (numbers inside compared as numbers), suffix,
        /// unnumbered first, then width.
        static func precedes(_ a: Shape, _ b: Shape) -> Bool {
            let byPrefix = naturalOrder(a.prefix, b.prefix)
            if byPrefix != 0 { return byPrefix < 0 }
            if a.suffix != b.suffix { return a.suffix.utf8.lexicographicallyPrecedes(b.suffix.utf8) }
            if a.isNumbered != b.isNumbered { return !a.isNumbered }
            return a.width < b.width
        }

        /// Compares `a` and `b` byte by byte, except that runs of digits compare by value
        /// (then the one with fewer leading zeros first): negative when `a` comes first,
        /// 0 when equal, positive otherwise.
        static func naturalOrder(_ a: String, _ b: String) -> Int {
            let x = Array(a.utf8), y = Array(b.utf8)
            var i = 0, j = 0
            while i < x.count, j < y.count {
                guard DecimalDigits.isDigit(x[i]), DecimalDigits.isDigit(y[j]) else {
                    if x[i] != y[j] { return Int(x[i]) - Int(y[j]) }
                    i += 1
                    j += 1
                    continue
                }
                let (zerosX, endX) = digitRun(x, from: i), (zerosY, endY) = digitRun(y, from: j)
                let significantX = x[(i + zerosX)..<endX], significantY = y[(j + zerosY)..<endY]
                if significantX.count != significantY.count { return significantX.count - significantY.count }
                if let differ = zip(significantX, significantY).first(where: { $0.0 != $0.1 }) {
                    return Int(differ.0) - Int(differ.1)
                }
                if zerosX != zerosY { return zerosX - zerosY }
                i = endX
                j = endY
            }
            return (x.count - i) - (y.count - j)
        }

        /// The number of leading zeros (keeping at least one digit) and the end of the
        /// digit run of `bytes` starting at `start`.
        private static func digitRun(_ bytes: [UInt8], from start: Int) -> (zeros: Int, end: Int) {
            var end = start
            while end < bytes.count, DecimalDigits.isDigit(bytes[end]) { end += 1 }
            var zeros = 0
            while start + zeros < end - 1, bytes[start + zeros] == UInt8(ascii: "0") { zeros += 1 }
            return (zeros, end)
        }
    }
}

extension Hostlist.Run {
    /// The run of the numbers `numbers` of `shape` (the one name when not numbered).
    init(_ shape: Hostlist.Shape, _ numbers: ClosedRange<UInt32>) {
        if shape.isNumbered {
            self.init(prefix: shape.prefix, suffix: shape.suffix, width: shape.width, numbers: numbers)
        } else {
            self.init(name: shape.prefix)
        }
    }

    /// True when the run is split the canonical way: the number is the name's last digits.
    private var isCanonical: Bool {
        guard numbers != nil else { return true }
        return !(prefix.utf8.last.map(DecimalDigits.isDigit) ?? false) && !suffix.utf8.contains(where: DecimalDigits.isDigit)
    }

    /// Calls `body` with the run's hosts as canonical pieces, in order: a shape and a
    /// range of numbers. A padded run splits where numbers outgrow the padding
    /// ("n[08-12]" is n + 08-09 padded to 2, then n + 10-12 unpadded).
    func forEachCanonicalPiece(_ body: (Hostlist.Shape, ClosedRange<UInt32>) -> Void) {
        guard let numbers else {
            body(Hostlist.Shape(prefix: prefix, suffix: "", isNumbered: false, width: 0), 0...0)
            return
        }
        guard isCanonical else {
            for offset in 0..<count { Hostlist.Run(host: host(at: offset)).forEachCanonicalPiece(body) }
            return
        }
        // Numbers from `unpadded` on have at least `width` digits and print unpadded.
        var unpadded = UInt64(numbers.lowerBound)
        if width > 0 {
            unpadded = 1
            for _ in 1..<width where unpadded <= UInt64(UInt32.max) { unpadded *= 10 }
            let padded = numbers.lowerBound...UInt32(Swift.min(UInt64(numbers.upperBound), unpadded - 1))
            body(Hostlist.Shape(prefix: prefix, suffix: suffix, isNumbered: true, width: width), padded)
        }
        if unpadded <= UInt64(numbers.upperBound) {
            let rest = UInt32(Swift.max(unpadded, UInt64(numbers.lowerBound)))...numbers.upperBound
            body(Hostlist.Shape(prefix: prefix, suffix: suffix, isNumbered: true, width: 0), rest)
        }
    }
}
