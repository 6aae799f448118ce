// Sizes given on the command line as Flux writes them (optparse_get_size_int): a
// number, fraction allowed, with an optional multiplier k or K (1024), M (1024^2) or
// G (1024^3); the result is whole bytes, at most INT_MAX (2^31 - 1).

/// A size in bytes from its command-line text.
public enum ByteSize {
    /// The largest size accepted, INT_MAX as in Flux.
    public static let limit = Int(Int32.max)

    /// Parses "512", "1.5k", "1M", "2G"; a negative, malformed or too large size is an
    /// error naming the text.
    public static func parse(_ text: String) throws(ParseError) -> Int {
        var number = Substring(text)
        var scale = 1.0
        switch number.last {
        case "k", "K": scale = 1024
        case "M": scale = 1024 * 1024
        case "G": scale = 1024 * 1024 * 1024
        default: break
        }
        if scale != 1 { number = number.dropLast() }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite
        else { throw ParseError("invalid size \"\(text)\"") }
        let bytes = (value * scale).rounded(.down)
        guard bytes <= Double(limit) else { throw ParseError("size \"\(text)\" is larger than \(limit) bytes") }
        return Int(bytes)
    }
}
