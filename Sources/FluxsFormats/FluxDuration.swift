// Flux Standard Duration (RFC 23): "N[SUFFIX]", N a non-negative decimal number (as C's
// strtod reads it, exponent allowed) and SUFFIX one of ms, s, m, h, d (none means
// seconds); "inf" or "infinity" (any case, no suffix) is an unbounded duration.
// Formatting follows flux-core's fsd_format_duration: the largest unit in which the
// value is at least 1 (ms below 0.1 s), printed as C's "%.6g" prints, e.g. "1.5h", "0s".
// Invariant: parse(format(d)) equals d up to the 6 significant digits format keeps,
// and exactly for infinity, 0 and values that 6 digits hold.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parsing and formatting Flux Standard Durations (RFC 23), in seconds.
public enum FluxDuration {
    /// The duration `text` stands for, in seconds (`.infinity` for "inf"/"infinity").
    public static func parse(_ text: some StringProtocol) throws(ParseError) -> Double {
        var string = String(text)
        let result = string.withUTF8 { bytes -> Result<Double, ParseError> in
            Result { () throws(ParseError) in try seconds(in: bytes) }.mapError {
                ParseError("duration \"\(String(decoding: bytes, as: UTF8.self))\": \($0.message)")
            }
        }
        return try result.get()
    }

    /// `seconds` in its largest fitting unit with `precision` significant digits, as
    /// flux-core prints durations: "0s", "5.1s", "62.1ms", "1.03333m", "1.25h", "1.2d",
    /// "infinity". Negative values print with a "-" and NaN as "nan"; neither parses back.
    public static func format(_ seconds: Double, precision: Int = 6) -> String {
        if seconds.isNaN { return "nan" }
        if seconds < 0 { return "-" + format(-seconds, precision: precision) }
        if seconds.isInfinite { return "infinity" }
        if seconds < 0.1, seconds != 0 { return cFormatG(seconds * 1000, precision: precision) + "ms" }
        let (divisor, suffix): (Double, String) =
            seconds < 60 ? (1, "s") : seconds < 3600 ? (60, "m") : seconds < 86400 ? (3600, "h") : (86400, "d")
        return cFormatG(seconds / divisor, precision: precision) + suffix
    }

    /// The units a duration may carry, with their length in seconds.
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
    ]

    /// Scans `sign? digits [. digits] [e sign? digits] unit?` or `sign? inf[inity]`.
    private static func seconds(in bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> Double {
        if bytes.isEmpty { throw ParseError("is empty") }
        var at = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative || bytes[0] == UInt8(ascii: "+") { at += 1 }
        let number: Double
        if let infinityLength = infinityLength(in: bytes, from: at) {
            at += infinityLength
            number = .infinity
        } else {
            let numberStart = at
            var mantissaDigits = skipDigits(in: bytes, from: &at)
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                mantissaDigits += skipDigits(in: bytes, from: &at)
            }
            if mantissaDigits == 0 { throw ParseError("not a number") }
            skipExponent(in: bytes, from: &at)
            let digits = String(decoding: UnsafeBufferPointer(rebasing: bytes[numberStart..<at]), as: UTF8.self)
            guard let value = Double(digits) else { throw ParseError("not a number") }
            if value.isInfinite { throw ParseError("out of range") }
            number = value
        }
        if negative, number != 0 { throw ParseError("must not be negative") }
        let suffix = String(decoding: UnsafeBufferPointer(rebasing: bytes[at...]), as: UTF8.self)
        if suffix.isEmpty { return number }
        guard let unit = units.first(where: { $0.suffix == suffix }) else {
            throw ParseError("unknown unit \"\(suffix)\"")
        }
        if number.isInfinite { throw ParseError("infinity takes no unit") }
        let seconds = number * unit.seconds
        if seconds.isInfinite { throw ParseError("out of range") }
        return seconds
    }

    /// The length of "infinity" or "inf" (any case) at `start`, if there.
    private static func infinityLength(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let rest = bytes[start...].lazy.map { $0 | 0x20 }  // ASCII lowercase
        for word in ["infinity", "inf"] where rest.starts(with: word.utf8) { return word.utf8.count }
        return nil
    }

    /// Advances past decimal digits; returns how many.
    private static func skipDigits(in bytes: UnsafeBufferPointer<UInt8>, from at: inout Int) -> Int {
        let start = at
        while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
        return at - start
    }

    /// Advances past an exponent ("e", optional sign, digits) only if it is complete.
    private static func skipExponent(in bytes: UnsafeBufferPointer<UInt8>, from at: inout Int) {
        guard at < bytes.count, bytes[at] | 0x20 == UInt8(ascii: "e") else { return }
        var probe = at + 1
        if probe < bytes.count, bytes[probe] == UInt8(ascii: "+") || bytes[probe] == UInt8(ascii: "-") {
            probe += 1
        }
        if skipDigits(in: bytes, from: &probe) > 0 { at = probe }
    }

    /// `value` as C's "%.{precision}g" writes it (flux-core's exact output).
    private static func cFormatG(_ value: Double, precision: Int) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let length = withVaList([Int32(precision), value]) { arguments in
                vsnprintf(buffer.baseAddress, buffer.count, "%.*g", arguments)
            }
            let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(max(0, min(length, 63))))
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
