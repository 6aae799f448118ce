// The storage unit of a Hostlist (RFC 29): a run of hosts that differ only in one
// number counting up by one, "prefix" + number + "suffix" (e.g. "node[0-9999]" or
// "foo[0-4]-eth2"), or a single name without a number.
// Zero padding: a run prints each number with at least `width` digits. The invariant
// kept is that `width` is 0 unless it actually pads the first number (width > digits of
// the first number), so equal runs are spelled equal: "n[10-12]" has width 0, "n[08-12]"
// width 2, "n[9-10]" width 0 (prints "n9,n10").

extension Hostlist {
    /// Hosts "prefix" + number + "suffix" for each number of `numbers`, or the one host
    /// "prefix" when `numbers` is nil.
    struct Run: Hashable, Sendable {
        /// The text before the number (the whole name when there is no number).
        var prefix: String
        /// The text after the number.
        var suffix: String
        /// Minimum number of digits when printing a number; 0 when no number is padded.
        private(set) var width: Int
        /// The numbers, counting up by one; nil for a name without a number.
        private(set) var numbers: ClosedRange<UInt32>?

        /// A run of numbered hosts; `width` is normalized (0 when it pads nothing).
        init(prefix: String, suffix: String = "", width: Int, numbers: ClosedRange<UInt32>) {
            self.prefix = prefix
            self.suffix = suffix
            self.width = width > DecimalDigits.count(of: numbers.lowerBound) ? width : 0
            self.numbers = numbers
        }

        /// The single host `name`, which has no number.
        init(name: String) {
            prefix = name
            suffix = ""
            width = 0
            numbers = nil
        }

        /// The run of the one host `name`, split around its last run of digits
        /// ("rack2-n07" is "rack2-n" + 07); a name without digits, or whose last digits do
        /// not fit in `UInt32`, is kept whole. This split is the canonical one: set
        /// algebra compares hosts through it.
        init(host name: some StringProtocol) {
            self = withUTF8Buffer(name) { Run(hostBytes: $0) }
        }

        /// The run of the one host spelled by `bytes` (see `init(host:)`).
        init(hostBytes bytes: UnsafeBufferPointer<UInt8>) {
            var end = bytes.count
            while end > 0, !DecimalDigits.isDigit(bytes[end - 1]) { end -= 1 }
            var start = end
            while start > 0, DecimalDigits.isDigit(bytes[start - 1]) { start -= 1 }
            let digits = DecimalDigits.scan(bytes, from: start, to: end)
            guard !digits.isEmpty, let value = digits.value else {
                self.init(name: String(decoding: bytes, as: UTF8.self))
                return
            }
            self.init(
                prefix: decodeUTF8(bytes, 0..<start), suffix: decodeUTF8(bytes, end..<bytes.count),
                width: digits.length, numbers: value...value)
        }

        /// The number of hosts.
        var count: Int { numbers?.idCount ?? 1 }

        /// The host at `offset` (0-based) within the run.
        func host(at offset: Int) -> String {
            var bytes: [UInt8] = []
            appendHost(at: offset, to: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Appends the UTF-8 bytes of the host at `offset` to `out`.
        func appendHost(at offset: Int, to out: inout [UInt8]) {
            out.append(contentsOf: prefix.utf8)
            if let numbers { appendNumber(numbers.lowerBound + UInt32(offset), to: &out) }
        }

        /// Appends the host the run's spelling gives `number` (in the run or not).
        private func appendNumber(_ number: UInt32, to out: inout [UInt8]) {
            DecimalDigits.append(number, width: width, to: &out)
            out.append(contentsOf: suffix.utf8)
        }

        /// The offset of host `name` in the run, or nil when the run does not hold it.
        func offset(of name: some StringProtocol) -> Int? {
            guard let numbers else { return name == prefix ? 0 : nil }
            let utf8 = name.utf8
            let fixed = prefix.utf8.count + suffix.utf8.count
            guard utf8.count > fixed, utf8.starts(with: prefix.utf8),
                  utf8.reversed().starts(with: suffix.utf8.reversed())
            else { return nil }
            let middle = utf8.dropFirst(prefix.utf8.count).dropLast(suffix.utf8.count)
            guard let value = DecimalDigits.value(of: middle), numbers.contains(value),
                  middle.count == Swift.max(width, DecimalDigits.count(of: value))
            else { return nil }
            return Int(value - numbers.lowerBound)
        }

        /// True when number `n` prints the same with this run's width and with `otherWidth`,
        /// i.e. a run of width `otherWidth` starting at `n` may continue this one.
        func printsAlike(_ n: UInt32, widthOf otherWidth: Int) -> Bool {
            let digits = DecimalDigits.count(of: n)
            return Swift.max(width, digits) == Swift.max(otherWidth, digits)
        }

        /// Extends this run with the hosts of `next` when they continue it; returns false
        /// (and changes nothing) otherwise. With `anySpelling` false only runs of the same
        /// prefix, suffix and compatible width join; with it true, runs whose hosts happen to
        /// continue each other under another split also join ("foo0-eth2" + "foo1-eth2" is
        /// "foo[0-1]-eth2").
        mutating func absorb(_ next: Run, anySpelling: Bool) -> Bool {
            if let mine = numbers, let theirs = next.numbers, prefix == next.prefix, suffix == next.suffix {
                guard mine.upperBound < theirs.lowerBound, theirs.lowerBound - mine.upperBound == 1,
                      printsAlike(theirs.lowerBound, widthOf: next.width)
                else { return false }
                numbers = mine.lowerBound...theirs.upperBound
                return true
            }
            guard anySpelling else { return false }
            if next.count == 1 {
                if count > 1 { return absorb(host: next.host(at: 0)) }
                guard let joined = Run(joining: host(at: 0), next.host(at: 0)) else { return false }
                self = joined
                return true
            }
            // A single host may be the number just before `next` starts.
            guard count == 1, let theirs = next.numbers, theirs.lowerBound > 0 else { return false }
            var before: [UInt8] = Array(next.prefix.utf8)
            next.appendNumber(theirs.lowerBound - 1, to: &before)
            guard before.elementsEqual(host(at: 0).utf8) else { return false }
            self = Run(prefix: next.prefix, suffix: next.suffix, width: next.width,
                       numbers: (theirs.lowerBound - 1)...theirs.upperBound)
            return true
        }

        /// Extends the run by the host `name` when it is the run's next host.
        private mutating func absorb(host name: String) -> Bool {
            guard let numbers, numbers.upperBound < .max else { return false }
            var next: [UInt8] = Array(prefix.utf8)
            appendNumber(numbers.upperBound + 1, to: &next)
            guard next.elementsEqual(name.utf8) else { return false }
            self.numbers = numbers.lowerBound...(numbers.upperBound + 1)
            return true
        }

        /// The two-host run of `first` then `second` when they differ only in one run of
        /// digits whose value goes up by one ("n09", "n10"; "foo0-eth2", "foo1-eth2").
        init?(joining first: String, _ second: String) {
            let a = Array(first.utf8), b = Array(second.utf8)
            let shorter = Swift.min(a.count, b.count)
            var head = 0
            while head < shorter, a[head] == b[head] { head += 1 }
            while head > 0, DecimalDigits.isDigit(a[head - 1]) { head -= 1 }
            var tail = 0
            while tail < shorter - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
            while tail > 0, DecimalDigits.isDigit(a[a.count - tail]) { tail -= 1 }
            let digitsA = a[head..<(a.count - tail)], digitsB = b[head..<(b.count - tail)]
            guard let low = DecimalDigits.value(of: digitsA), let high = DecimalDigits.value(of: digitsB),
                  low < high, high - low == 1
            else { return nil }
            self.init(
                prefix: String(decoding: a[..<head], as: UTF8.self),
                suffix: String(decoding: a[(a.count - tail)...], as: UTF8.self),
                width: digitsA.count, numbers: low...high)
            guard printsAlike(high, widthOf: digitsB.count) else { return nil }
        }
    }
}
