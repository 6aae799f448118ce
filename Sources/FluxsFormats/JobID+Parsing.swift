// Reading job ids in any text form of RFC 19. The text tells its own form, in RFC 19's
// order: a '.' means dothex (also behind flux-core's "job." KVS prefix), a '-' means
// words, a leading "ƒ" or "f" means F58, a leading "0x" means hex, anything else decimal.
// Surrounding ASCII whitespace is ignored; all scanning is on UTF-8 bytes.
// Invariant: a text is accepted only when it spells one 64-bit value in its form; every
// failure throws `job id "<text without surrounding whitespace>": <reason>`.

extension JobID {
    /// Parses any form of `JobIDForm` (the KVS form too); surrounding whitespace is ignored.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        var string = String(text)
        let result = string.withUTF8 { all -> Result<UInt64, ParseError> in
            let bytes = Self.trimmingWhitespace(all)
            return Result { () throws(ParseError) in try Self.decode(bytes) }.mapError { reason in
                ParseError("job id \"\(String(decoding: bytes, as: UTF8.self))\": \(reason.message)")
            }
        }
        self.init(try result.get())
    }

    /// The value spelled by `bytes` in whichever form they take; throws a bare reason.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> UInt64 {
        if bytes.isEmpty { throw ParseError("is empty") }
        if bytes.contains(UInt8(ascii: ".")) {
            return try decodeDothex(dropping: kvsPrefix, from: bytes)
        }
        if bytes.contains(UInt8(ascii: "-")) { return try Mnemonic.decode(bytes) }
        for prefix in [f58Prefix, f58PlainPrefix] where bytes.starts(with: prefix.utf8) {
            return try decodeF58(UnsafeBufferPointer(rebasing: bytes[prefix.utf8.count...]))
        }
        if bytes.starts(with: "0x".utf8) {
            return try decodeHex(UnsafeBufferPointer(rebasing: bytes[2...]))
        }
        return try decodeDecimal(bytes)
    }

    private static func decodeDecimal(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> UInt64 {
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw ParseError("not a valid job id")
            }
            value = try appendingDigit(UInt64(byte - UInt8(ascii: "0")), to: value, base: 10)
        }
        return value
    }

    private static func decodeHex(_ digits: UnsafeBufferPointer<UInt8>) throws(ParseError) -> UInt64 {
        if digits.isEmpty { throw ParseError("no hex digits after \"0x\"") }
        var value: UInt64 = 0
        for index in digits.indices {
            value = try appendingDigit(hexDigit(in: digits, at: index), to: value, base: 16)
        }
        return value
    }

    /// Four groups of 1-4 hex digits joined by dots, optionally behind `prefix`.
    private static func decodeDothex(
        dropping prefix: String, from text: UnsafeBufferPointer<UInt8>
    ) throws(ParseError) -> UInt64 {
        let bytes = text.starts(with: prefix.utf8)
            ? UnsafeBufferPointer(rebasing: text[prefix.utf8.count...]) : text
        var value: UInt64 = 0
        var groups = 0
        var group: UInt64 = 0
        var groupLength = 0
        for index in 0...bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: ".") {
                guard (1...4).contains(groupLength), groups < 4 else {
                    throw ParseError("dothex form needs 4 groups of 1-4 hex digits")
                }
                value = value << 16 | group
                groups += 1
                (group, groupLength) = (0, 0)
            } else {
                group = group << 4 | (try hexDigit(in: bytes, at: index))
                groupLength += 1
            }
        }
        guard groups == 4 else { throw ParseError("dothex form needs 4 groups of 1-4 hex digits") }
        return value
    }

    private static func decodeF58(_ digits: UnsafeBufferPointer<UInt8>) throws(ParseError) -> UInt64 {
        if digits.isEmpty { throw ParseError("no digits after the f58 prefix") }
        var value: UInt64 = 0
        for index in digits.indices {
            let digit = f58DigitByByte[Int(digits[index])]
            guard digit >= 0 else {
                throw ParseError("invalid f58 character '\(character(in: digits, at: index))'")
            }
            value = try appendingDigit(UInt64(digit), to: value, base: 58)
        }
        return value
    }

    /// Base58 digit value by byte, -1 where the byte is not in the alphabet.
    private static let f58DigitByByte: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (digit, byte) in f58Alphabet.enumerated() { table[Int(byte)] = Int8(digit) }
        return table
    }()

    private static func appendingDigit(
        _ digit: UInt64, to value: UInt64, base: UInt64
    ) throws(ParseError) -> UInt64 {
        let (shifted, overflowShift) = value.multipliedReportingOverflow(by: base)
        let (sum, overflowAdd) = shifted.addingReportingOverflow(digit)
        if overflowShift || overflowAdd { throw ParseError("too large for 64 bits") }
        return sum
    }

    private static func hexDigit(
        in bytes: UnsafeBufferPointer<UInt8>, at index: Int
    ) throws(ParseError) -> UInt64 {
        switch bytes[index] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(bytes[index] - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(bytes[index] - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(bytes[index] - UInt8(ascii: "A") + 10)
        default: throw ParseError("invalid hex digit '\(character(in: bytes, at: index))'")
        }
    }

    /// The whole character starting at byte `index`, for error messages.
    private static func character(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Character {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[index...]), as: UTF8.self).first ?? "?"
    }

    /// `bytes` without leading and trailing ASCII whitespace (as C's isspace).
    private static func trimmingWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}
