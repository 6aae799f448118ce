// A byte-level recursive-descent parser for JSON text (RFC 8259) into `JSONValue`.
// Invariants: every read of `bytes` is preceded by a bounds check (UnsafeBufferPointer does
// not check in release builds), and the parser accepts exactly the RFC 8259 grammar:
// - no comments, trailing commas, NaN/Infinity, leading zeros or trailing garbage;
//   only a leading UTF-8 byte order mark is skipped (RFC 8259 section 8.1 allows that);
// - strings must be valid UTF-8 without raw control characters; a `\uXXXX` escape of a lone
//   surrogate is rejected (a Swift String cannot hold one; jansson, which Flux uses,
//   rejects it too, where Foundation would substitute U+FFFD);
// - integers that fit Int64 become `.int`, every other number `.double` (correctly rounded
//   by the standard library); a number too large for a Double is rejected;
// - a duplicate object key keeps its last value; nesting is limited to `maximumDepth`
//   so that hostile input cannot exhaust the stack.
// Errors name the rule broken and the byte offset (plus line and column in multi-line text).

/// Parses one JSON document held in contiguous UTF-8 bytes.
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    static let maximumDepth = 512
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private var depth = 0
    /// Reused buffer for strings that contain escapes.
    private var unescaped: [UInt8] = []

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Parses `bytes` as one complete JSON document.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        return try parser.parseDocument()
    }

    private mutating func parseDocument() throws(ParseError) -> JSONValue {
        if bytes.starts(with: Self.byteOrderMark) { offset = Self.byteOrderMark.count }
        skipWhitespace()
        guard offset < bytes.count else { throw ParseError("invalid JSON: empty input") }
        let value = try parseValue()
        skipWhitespace()
        guard offset == bytes.count else { throw failure("unexpected \(describeByte(at: offset)) after the value") }
        return value
    }

    // MARK: - Values

    private mutating func parseValue() throws(ParseError) -> JSONValue {
        guard offset < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: throw failure("unexpected \(describeByte(at: offset))")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(ParseError) {
        let word = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes.count - offset >= word.count,
            UnsafeBufferPointer(rebasing: bytes[offset..<offset + word.count]).elementsEqual(word)
        else { throw failure("expected '\(literal)'") }
        offset += word.count
    }

    private mutating func parseArray() throws(ParseError) -> JSONValue {
        try enterContainer()
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) {
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { break }
            try expectSeparator(before: UInt8(ascii: "]"), in: "array")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseObject() throws(ParseError) -> JSONValue {
        try enterContainer()
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) {
            depth -= 1
            return .object(members)
        }
        while true {
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw failure("expected a string key but found \(describeByte(at: offset))")
            }
            let key = try parseString()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw failure("expected ':' but found \(describeByte(at: offset))") }
            skipWhitespace()
            members[key] = try parseValue()
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { break }
            try expectSeparator(before: UInt8(ascii: "}"), in: "object")
        }
        depth -= 1
        return .object(members)
    }

    /// Consumes the opening bracket of an array or object, enforcing the depth limit.
    private mutating func enterContainer() throws(ParseError) {
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        depth += 1
        offset += 1
    }

    /// Consumes the "," between elements and the whitespace after it; the element that must
    /// follow cannot be the closing bracket (no trailing comma).
    private mutating func expectSeparator(before close: UInt8, in container: String) throws(ParseError) {
        guard consume(UInt8(ascii: ",")) else {
            let closing = close == UInt8(ascii: "]") ? "']'" : "'}'"
            throw failure("expected ',' or \(closing) in \(container) but found \(describeByte(at: offset))")
        }
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == close { throw failure("trailing comma in \(container)") }
    }

    // MARK: - Numbers

    private mutating func parseNumber() throws(ParseError) -> JSONValue {
        let start = offset
        let negative = consume(UInt8(ascii: "-"))
        let digitsStart = offset
        if consume(UInt8(ascii: "0")) {
            if offset < bytes.count, isDigit(bytes[offset]) { throw failure("leading zero in number", at: start) }
        } else {
            try expectDigits()
        }
        let digitsEnd = offset
        var integral = true
        if consume(UInt8(ascii: ".")) {
            integral = false
            try expectDigits()
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            integral = false
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            try expectDigits()
        }
        if integral, let integer = int64(digits: digitsStart..<digitsEnd, negative: negative) {
            return .int(integer)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let real = Double(text), real.isFinite else { throw failure("number \(text) is out of range", at: start) }
        return .double(real)
    }

    /// The integer the decimal digits at `range` make, negated if `negative`, unless it is
    /// out of the range of Int64.
    private func int64(digits range: Range<Int>, negative: Bool) -> Int64? {
        // Without leading zeros, 20 digits exceed Int64 and 19 cannot overflow UInt64.
        guard range.count <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in bytes[range] { magnitude = magnitude * 10 + UInt64(digit &- UInt8(ascii: "0")) }
        if negative { return magnitude <= Int64.min.magnitude ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Consumes a run of one or more decimal digits.
    private mutating func expectDigits() throws(ParseError) {
        guard offset < bytes.count, isDigit(bytes[offset]) else {
            throw failure("expected a digit but found \(describeByte(at: offset))")
        }
        repeat { offset += 1 } while offset < bytes.count && isDigit(bytes[offset])
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    // MARK: - Strings

    /// Parses the string whose opening quote is at `offset`. A string without escapes is
    /// made straight from the input; one with escapes is assembled in `unescaped`.
    private mutating func parseString() throws(ParseError) -> String {
        let opening = offset
        offset += 1
        let start = offset
        try skipPlainRun()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") {
            offset += 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset - 1]), as: UTF8.self)
        }
        unescaped.removeAll(keepingCapacity: true)
        var runStart = start
        // Here `offset` is at a backslash, a closing quote or the end of the input.
        while offset < bytes.count {
            unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<offset]))
            if bytes[offset] == UInt8(ascii: "\"") {
                offset += 1
                return String(decoding: unescaped, as: UTF8.self)
            }
            guard offset + 1 < bytes.count else { break }
            try appendEscape()
            runStart = offset
            try skipPlainRun()
        }
        throw failure("unterminated string", at: opening)
    }

    /// Steps over string content up to the next quote, backslash or the end of the input.
    private mutating func skipPlainRun() throws(ParseError) {
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return }
            if byte >= 0x20 && byte < 0x80 {
                offset += 1
            } else {
                try skipMultibyteCharacter()
            }
        }
    }

    /// Steps over one character of a string that is not printable ASCII: a control character
    /// is an error, anything else must be well-formed UTF-8 (RFC 3629 section 4).
    private mutating func skipMultibyteCharacter() throws(ParseError) {
        let lead = bytes[offset]
        if lead < 0x20 { throw failure("control character \(hex(lead)) in string") }
        // The allowed range of the second byte depends on the lead byte; later bytes are 80...BF.
        let second: ClosedRange<UInt8>
        let length: Int
        switch lead {
        case 0xC2...0xDF: (second, length) = (0x80...0xBF, 2)
        case 0xE0: (second, length) = (0xA0...0xBF, 3)
        case 0xED: (second, length) = (0x80...0x9F, 3)
        case 0xE1...0xEF: (second, length) = (0x80...0xBF, 3)
        case 0xF0: (second, length) = (0x90...0xBF, 4)
        case 0xF1...0xF3: (second, length) = (0x80...0xBF, 4)
        case 0xF4: (second, length) = (0x80...0x8F, 4)
        default: throw failure("invalid UTF-8 byte \(hex(lead)) in string")
        }
        for index in offset + 1..<offset + length {
            guard index < bytes.count else { throw failure("truncated UTF-8 sequence in string") }
            let allowed = index == offset + 1 ? second : 0x80...0xBF
            guard allowed.contains(bytes[index]) else {
                throw failure("invalid UTF-8 byte \(hex(bytes[index])) in string", at: index)
            }
        }
        offset += length
    }

    /// Decodes the escape sequence at `offset` (a backslash and at least one more byte)
    /// into `unescaped`.
    private mutating func appendEscape() throws(ParseError) {
        let escape = offset
        let letter = bytes[offset + 1]
        offset += 2
        let simple: UInt8
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = letter
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            let scalar = try unicodeEscape(at: escape)
            UTF8.encode(scalar) { unescaped.append($0) }
            return
        default: throw failure("invalid escape '\\\(describeCharacter(letter))' in string", at: escape)
        }
        unescaped.append(simple)
    }

    /// The scalar of a `\uXXXX` escape starting at `escape` (`offset` is past "\u"),
    /// pairing a high surrogate with the low surrogate escape that must follow it.
    private mutating func unicodeEscape(at escape: Int) throws(ParseError) -> Unicode.Scalar {
        let unit = try hexQuad(of: escape)
        switch unit {
        case 0xD800...0xDBFF:
            guard bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                throw loneSurrogate(at: escape)
            }
            let low = offset
            offset += 2
            let trail = try hexQuad(of: low)
            guard (0xDC00...0xDFFF).contains(trail) else { throw loneSurrogate(at: escape) }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (trail - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw loneSurrogate(at: escape)
        default:
            return Unicode.Scalar(unit)!
        }
    }

    /// Reads the four hex digits of the `\u` escape at `escape`.
    private mutating func hexQuad(of escape: Int) throws(ParseError) -> UInt32 {
        var unit: UInt32 = 0
        for _ in 0..<4 {
            guard offset < bytes.count, let digit = hexDigitValue(bytes[offset]) else {
                throw failure("invalid \\u escape in string", at: escape)
            }
            unit = unit << 4 | digit
            offset += 1
        }
        return unit
    }

    private func hexDigitValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private func loneSurrogate(at escape: Int) -> ParseError {
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[escape..<escape + 6]), as: UTF8.self)
        return failure("lone surrogate \(text) in string", at: escape)
    }

    // MARK: - Tokens and errors

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): offset += 1
            default: return
            }
        }
    }

    /// Consumes `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// "character 'x'", "byte 0xFF" or "end of input", for messages.
    private func describeByte(at index: Int) -> String {
        guard index < bytes.count else { return "end of input" }
        let byte = bytes[index]
        return byte >= 0x20 && byte < 0x7F ? "character '\(describeCharacter(byte))'" : "byte \(hex(byte))"
    }

    private func describeCharacter(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : hex(byte)
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0" + digits : "0x" + digits
    }

    /// The error for a broken `rule` at `index` (the current offset unless given):
    /// `invalid JSON: <rule> at offset N`, plus `(line L, column C)` when the text before it
    /// spans several lines. Columns count bytes from 1.
    private func failure(_ rule: String, at index: Int? = nil) -> ParseError {
        let index = index ?? offset
        let before = bytes[..<min(index, bytes.count)]
        let newlines = before.lazy.filter { $0 == UInt8(ascii: "\n") }.count
        guard newlines > 0 else { return ParseError("invalid JSON: \(rule) at offset \(index)") }
        let lineStart = (before.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
        return ParseError("invalid JSON: \(rule) at offset \(index) (line \(newlines + 1), column \(index - lineStart + 1))")
    }
}
