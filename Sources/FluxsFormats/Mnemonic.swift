// The mnemonicode "words" form of 64-bit job ids (RFC 19), spelled as flux-core spells it.
// An id is taken as two 32-bit groups, low group first (its little-endian bytes); each
// group is three digits in base 1626, least significant first, each digit a word of
// `Mnemonic.words`: "w0-w1-w2--w3-w4-w5".
// Invariant: decode(encode(v)) == v for every UInt64, and decode accepts exactly the
// six-word texts (any case, any runs of '-') that some UInt64 encodes to.

/// The mnemonicode codec for 64-bit values; `JobID` exposes it as the `.words` form.
enum Mnemonic {
    /// The number base of one word: the cube root of 2^32, rounded up.
    static let base: UInt64 = 1626
    /// How many words a 64-bit value takes.
    static let wordsPerValue = 6

    /// The weight of a word by its position in its group of three.
    private static let positionWeights: [UInt64] = [1, base, base * base]
    /// Word index by word, for decoding.
    private static let indexByWord: [String: Int] = Dictionary(
        uniqueKeysWithValues: words.enumerated().map { ($0.element, $0.offset) })

    /// The six-word spelling of `value`.
    static func encode(_ value: UInt64) -> String {
        var text = ""
        text.reserveCapacity(48)
        for group in 0..<2 {
            var digits = (value >> (32 * group)) & 0xFFFF_FFFF
            text += group == 0 ? "" : "--"
            for position in 0..<3 {
                text += position == 0 ? "" : "-"
                // The third digit of a 32-bit group is at most 1624, so `%` keeps it whole.
                text += words[Int(digits % base)]
                digits /= base
            }
        }
        return text
    }

    /// The value spelled by `bytes`: words separated by runs of '-'.
    /// Throws a bare reason (the caller names the input).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> UInt64 {
        var groups: [UInt64] = [0, 0]  // low then high 32 bits, checked for overflow at the end
        var count = 0
        var start = 0
        while start < bytes.count {
            if bytes[start] == UInt8(ascii: "-") { start += 1; continue }
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "-") { end += 1 }
            let digit = try wordIndex(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if count < wordsPerValue { groups[count / 3] += digit * positionWeights[count % 3] }
            count += 1
            start = end
        }
        guard count == wordsPerValue else {
            throw ParseError("words form needs \(wordsPerValue) words, got \(count)")
        }
        guard groups.allSatisfy({ $0 <= UInt64(UInt32.max) }) else {
            throw ParseError("words do not spell a 64-bit value")
        }
        return groups[1] << 32 | groups[0]
    }

    /// The base-1626 digit a word stands for (letters in any case).
    private static func wordIndex(_ word: UnsafeBufferPointer<UInt8>) throws(ParseError) -> UInt64 {
        let typed = String(decoding: word, as: UTF8.self)
        if let bad = typed.first(where: { !($0.isASCII && $0.isLetter) }) {
            throw ParseError("invalid character '\(bad)' in words form")
        }
        guard let index = indexByWord[typed.lowercased()] else {
            throw ParseError("unknown word \"\(typed)\"")
        }
        guard UInt64(index) < base else {
            throw ParseError("word \"\(typed)\" only ends a 24-bit tail, never a 64-bit value")
        }
        return UInt64(index)
    }
}
