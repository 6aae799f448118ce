// The text form of an idset (RFC 22): decimal ids and hyphenated ranges separated by
// commas, optionally inside one pair of square brackets: "1-3,5-6,42" or "[1-3,5-6,42]".
// Parsing is strict about what RFC 22 forbids (leading zeros, reversed ranges, empty
// elements, any character but digits "," "-" "[" "]", so whitespace too) and lenient about
// what it merely recommends: elements may come in any order and may overlap.
// Formatting writes the canonical form: ascending, ranges of two or more written "a-b".
// The byte-level helpers at the end (DecimalDigits, UTF-8 access, error wording) are
// shared with Hostlist.

extension IDSet: CustomStringConvertible {
    /// Parses an idset string such as "0-3,7", "[0-3,7]" or "" (the empty set).
    /// Throws a `ParseError` naming the input and the rule it breaks, e.g.
    /// `idset "3-1": range "3-1" is reversed`.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let parsed = withUTF8Buffer(text) { bytes in
            Result { () throws(ParseError) in try IDSet.parse(bytes, input: text) }
        }
        self = try parsed.get()
    }

    /// The canonical idset string, e.g. "0-3,7"; "" for the empty set.
    public var description: String { formatted(brackets: false) }

    /// The canonical idset string, inside square brackets when `brackets` is true and
    /// the set has more than one id: "[0-3,7]" (but "7" and "").
    public func formatted(brackets: Bool) -> String {
        let bracketed = brackets && count > 1
        var out: [UInt8] = []
        out.reserveCapacity(ranges.count * 12 + 2)
        if bracketed { out.append(UInt8(ascii: "[")) }
        for (i, run) in ranges.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            DecimalDigits.append(run.lowerBound, width: 0, to: &out)
            if run.upperBound != run.lowerBound {
                out.append(UInt8(ascii: "-"))
                DecimalDigits.append(run.upperBound, width: 0, to: &out)
            }
        }
        if bracketed { out.append(UInt8(ascii: "]")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the UTF-8 bytes of `input`.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, input: some StringProtocol) throws(ParseError) -> IDSet {
        func failure(_ rule: String) -> ParseError { ParseError(format: "idset", input: input, rule: rule) }
        func rejectLeadingZero(_ digits: DecimalDigits.Run) throws(ParseError) {
            guard digits.length > 1, bytes[digits.start] == UInt8(ascii: "0") else { return }
            throw failure("id \"\(decodeUTF8(bytes, digits.start..<digits.end))\" has a leading zero")
        }
        var start = 0, end = bytes.count
        if end > 0, bytes[0] == UInt8(ascii: "[") {
            guard end > 1, bytes[end - 1] == UInt8(ascii: "]") else { throw failure(#"missing "]""#) }
            start = 1
            end -= 1
        }
        var builder = Builder()
        var elementStart = start
        while elementStart < end {
            var elementEnd = elementStart
            while elementEnd < end, bytes[elementEnd] != UInt8(ascii: ",") { elementEnd += 1 }
            let element = try DecimalDigits.parseElement(
                bytes, elementStart..<elementEnd, noun: "id", place: { "" }, failure)
            try rejectLeadingZero(element.low)
            try rejectLeadingZero(element.high)
            builder.add(element.ids)
            elementStart = elementEnd + 1
            if elementEnd < end, elementStart == end { throw failure("empty element") }
        }
        return builder.build()
    }
}

// MARK: - Shared byte-level helpers (also used by Hostlist)

/// Reading and writing decimal numbers in UTF-8 bytes.
enum DecimalDigits {
    /// A run of ASCII digits in a byte buffer: where it is and its value when it fits.
    struct Run {
        /// Index of the first digit.
        var start: Int
        /// Index just past the last digit.
        var end: Int
        /// The value, or nil when it does not fit in `UInt32`.
        var value: UInt32?
        /// The number of digits.
        var length: Int { end - start }
        /// True when there was no digit at all.
        var isEmpty: Bool { start == end }
    }

    /// True for the bytes "0" through "9".
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Scans the digits of `bytes` starting at `start`, stopping before `limit` or at the
    /// first non-digit.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to limit: Int) -> Run {
        var end = start
        var value: UInt64 = 0
        while end < limit, isDigit(bytes[end]) {
            if value <= UInt64(UInt32.max) { value = value * 10 + UInt64(bytes[end] &- UInt8(ascii: "0")) }
            end += 1
        }
        return Run(start: start, end: end, value: value <= UInt64(UInt32.max) ? UInt32(value) : nil)
    }

    /// One element of an id list, "7" or "3-5": where its two ends are written (the same
    /// digits twice for "7") and the ids it covers.
    struct Element {
        /// The digits of the first id.
        var low: Run
        /// The digits of the last id.
        var high: Run
        /// The ids from first to last.
        var ids: ClosedRange<UInt32>
    }

    /// Parses the element occupying `span` of `bytes`, throwing `failure(rule)` when it is
    /// malformed. `noun` names the numbers in messages ("id", "number"); `place` is
    /// appended to messages about the element's characters (e.g. ` in "[1-a]"`).
    static func parseElement(
        _ bytes: UnsafeBufferPointer<UInt8>, _ span: Range<Int>, noun: String, place: () -> String,
        _ failure: (String) -> ParseError
    ) throws(ParseError) -> Element {
        func text(_ range: Range<Int>) -> String { decodeUTF8(bytes, range) }
        func value(of digits: Run) throws(ParseError) -> UInt32 {
            guard let value = digits.value else { throw failure("\(noun) \"\(text(digits.start..<digits.end))\" is too large") }
            return value
        }
        guard !span.isEmpty else { throw failure("empty element" + place()) }
        let low = scan(bytes, from: span.lowerBound, to: span.upperBound)
        var high = low
        if low.isEmpty, bytes[low.end] == UInt8(ascii: "-") {
            throw failure("range \"\(text(span))\" has no start")
        }
        if !low.isEmpty, low.end < span.upperBound, bytes[low.end] == UInt8(ascii: "-") {
            high = scan(bytes, from: low.end + 1, to: span.upperBound)
            if high.isEmpty, high.end == span.upperBound { throw failure("range \"\(text(span))\" has no end") }
        }
        if low.isEmpty || high.end < span.upperBound {
            throw failure("unexpected character \(describeCharacter(in: bytes, at: high.end))" + place())
        }
        let first = try value(of: low), last = try value(of: high)
        guard first <= last else { throw failure("range \"\(text(span))\" is reversed") }
        return Element(low: low, high: high, ids: first...last)
    }

    /// The value of `digits` (leading zeros allowed), or nil when it is empty, holds a
    /// non-digit or does not fit in `UInt32`.
    static func value(of digits: some Collection<UInt8>) -> UInt32? {
        guard !digits.isEmpty else { return nil }
        var value: UInt32 = 0
        for byte in digits {
            guard isDigit(byte) else { return nil }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times10.addingReportingOverflow(UInt32(byte &- UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// The number of decimal digits of `value` (1 for 0).
    static func count(of value: UInt32) -> Int {
        var digits = 1, rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// Appends `value` in decimal, zero padded to at least `width` digits.
    static func append(_ value: UInt32, width: Int, to out: inout [UInt8]) {
        let digits = count(of: value)
        if width > digits { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits)) }
        let end = out.count + digits
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var rest = value, i = end
        repeat {
            i -= 1
            out[i] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0
    }
}

/// The text of `bytes[range]`, decoded as UTF-8.
func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
}

/// Calls `body` with the UTF-8 bytes of `text` in contiguous memory, copying only when
/// `text` is not already stored that way.
func withUTF8Buffer<Result>(_ text: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    var copy = String(text)
    return copy.withUTF8(body)
}

/// The character at byte `index` of UTF-8 `bytes`, for an error message: quoted when it
/// is printable ("a", " ", "é"), as U+XXXX when it is a control character.
func describeCharacter(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> String {
    var end = index + 1
    while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
    let text = decodeUTF8(bytes, index..<end)
    guard let scalar = text.unicodeScalars.first else { return "\"\"" }
    if scalar.properties.generalCategory == .control {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: Swift.max(0, 4 - hex.count)) + hex
    }
    return "\"\(text)\""
}

extension ParseError {
    /// An error about `input`, read as `format` ("idset", "hostlist"), breaking `rule`:
    /// `idset "3-1": range "3-1" is reversed`. Inputs longer than 64 characters are
    /// shortened to keep the message on one readable line.
    init(format: String, input: some StringProtocol, rule: String) {
        let shown = input.count > 64 ? String(input.prefix(61)) + "..." : String(input)
        self.init("\(format) \"\(shown)\": \(rule)")
    }
}
