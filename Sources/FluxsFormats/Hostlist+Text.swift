// The text form of a hostlist (RFC 29): comma separated expressions "prefix[idlist]suffix",
// each part optional, e.g. "node[0-3,7],login1" or "foo[0-4]-eth2". An idlist is
// comma separated numbers and ranges in any order, repeats allowed ("5,4,11-13").
// Zero padding: the digits of the first element set the width of every id in the
// brackets ("005,4,11-13" is 005,004,011,012,013; "[00-2]" is 00,01,02), and an element
// written with more digits keeps them ("[1,05]" is 1,05). Without padding, widths mix
// ("n[9-10]" is n9,n10).
// Names use printable ASCII except "[", "]", "," and whitespace; an expression has at
// most one "[...]"; empty expressions ("a,,b", a trailing ",") add nothing.
// `description` writes consecutive runs sharing prefix and suffix in one pair of brackets
// when re-reading them gives the same hosts (so parse(description) == self always).

extension Hostlist: CustomStringConvertible {
    /// Parses a hostlist string such as "node[0-3,7],login1", "n[00-10]" or "" (empty).
    /// Throws a `ParseError` naming the input and the rule it breaks, e.g.
    /// `hostlist "n[1-": missing "]"`.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let parsed = withUTF8Buffer(text) { bytes in
            Result { () throws(ParseError) in try Hostlist.parse(bytes, input: text) }
        }
        self = try parsed.get()
    }

    /// The compressed hostlist string, e.g. "node[0-3,7],login1"; "" when empty.
    public var description: String {
        var out: [UInt8] = []
        var i = 0
        while i < runs.count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let head = runs[i]
            var end = i + 1
            while end < runs.count, runs[end].canShareBrackets(after: head) { end += 1 }
            if end - i == 1, head.count == 1 {
                head.appendHost(at: 0, to: &out)
            } else {
                out.append(contentsOf: head.prefix.utf8)
                out.append(UInt8(ascii: "["))
                for (k, run) in runs[i..<end].enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    run.appendRange(to: &out)
                }
                out.append(UInt8(ascii: "]"))
                out.append(contentsOf: head.suffix.utf8)
            }
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the UTF-8 bytes of `input`.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, input: some StringProtocol) throws(ParseError) -> Hostlist {
        func failure(_ rule: String) -> ParseError { ParseError(format: "hostlist", input: input, rule: rule) }
        func text(_ range: Range<Int>) -> String { decodeUTF8(bytes, range) }
        /// Index of the first byte at or after `start` that ends a name part ("," "[" or
        /// the end), after checking every byte before it.
        func nameEnd(from start: Int) throws(ParseError) -> Int {
            var i = start
            while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "[") {
                guard isNameByte(bytes[i]) else {
                    throw failure("unexpected character \(describeCharacter(in: bytes, at: i))")
                }
                i += 1
            }
            return i
        }
        /// Index just past the expression going on at `index` (commas in brackets included).
        func expressionEnd(from index: Int) -> Int {
            var i = index, depth = 0
            while i < bytes.count, depth > 0 || bytes[i] != UInt8(ascii: ",") {
                if bytes[i] == UInt8(ascii: "[") { depth += 1 }
                if bytes[i] == UInt8(ascii: "]") { depth -= 1 }
                i += 1
            }
            return i
        }

        var list = Hostlist()
        var start = 0
        while start <= bytes.count {
            let open = try nameEnd(from: start)
            guard open < bytes.count, bytes[open] == UInt8(ascii: "[") else {
                if open > start {
                    list.append(Run(hostBytes: UnsafeBufferPointer(rebasing: bytes[start..<open])), anySpelling: true)
                }
                start = open + 1
                continue
            }
            var close = open + 1
            while close < bytes.count, bytes[close] != UInt8(ascii: "]") { close += 1 }
            guard close < bytes.count else { throw failure(#"missing "]""#) }
            let ranges = try parseIDList(bytes, (open + 1)..<close, failure)
            let end = try nameEnd(from: close + 1)
            if end < bytes.count, bytes[end] == UInt8(ascii: "[") {
                throw failure("expression \"\(text(start..<expressionEnd(from: end)))\" has more than one \"[\"")
            }
            let prefix = text(start..<open), suffix = text((close + 1)..<end)
            for (numbers, width) in ranges {
                list.append(Run(prefix: prefix, suffix: suffix, width: width, numbers: numbers), anySpelling: true)
            }
            start = end + 1
        }
        return list
    }

    /// Parses the idlist between brackets, `span` of `bytes`: its ranges in order, each with
    /// the width its ids print with.
    private static func parseIDList(
        _ bytes: UnsafeBufferPointer<UInt8>, _ span: Range<Int>, _ failure: (String) -> ParseError
    ) throws(ParseError) -> [(ClosedRange<UInt32>, width: Int)] {
        func whole() -> String { "\"[\(decodeUTF8(bytes, span))]\"" }
        var elements: [(ClosedRange<UInt32>, width: Int)] = []
        var firstWidth = 0
        var start = span.lowerBound
        repeat {
            var end = start
            while end < span.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
            let element = try DecimalDigits.parseElement(
                bytes, start..<end, noun: "number", place: { " in \(whole())" }, failure)
            // A written width counts only when zero padded ("007"); the first element's
            // padding applies to all.
            let digits = element.low.length
            let written = digits > DecimalDigits.count(of: element.ids.lowerBound) ? digits : 0
            if elements.isEmpty { firstWidth = written }
            elements.append((element.ids, width: Swift.max(firstWidth, written)))
            start = end + 1
        } while start <= span.upperBound
        return elements
    }

    /// True for the bytes a host name part may hold: printable ASCII but space, "," "[" "]".
    private static func isNameByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ",") && byte != UInt8(ascii: "[")
            && byte != UInt8(ascii: "]")
    }
}

extension Hostlist.Run {
    /// True when this run can follow `head` inside the brackets `description` opens for
    /// `head`: same prefix and suffix, and re-reading keeps this run's width (the first
    /// element's padding applies to all elements of a bracket).
    func canShareBrackets(after head: Self) -> Bool {
        guard let numbers, head.numbers != nil, prefix == head.prefix, suffix == head.suffix else { return false }
        return width >= head.width || (width == 0 && head.width <= DecimalDigits.count(of: numbers.lowerBound))
    }

    /// Appends the run's ids as written inside brackets: "07" or "07-12".
    func appendRange(to out: inout [UInt8]) {
        guard let numbers else { return }
        DecimalDigits.append(numbers.lowerBound, width: width, to: &out)
        if numbers.upperBound != numbers.lowerBound {
            out.append(UInt8(ascii: "-"))
            DecimalDigits.append(numbers.upperBound, width: width, to: &out)
        }
    }
}
