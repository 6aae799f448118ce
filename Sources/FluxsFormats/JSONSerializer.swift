// Writes a `JSONValue` as UTF-8 JSON text (RFC 8259), byte for byte as JSONEncoder of
// swift-foundation (the Foundation on Linux) does with `.sortedKeys` and `.withoutEscapingSlashes` (plus `.prettyPrinted`
// for the pretty form), so output did not change when the encoder was replaced:
// - object keys in ascending byte order of their UTF-8 (what jansson's JSON_SORT_KEYS does);
// - strings escape only '"', '\' and control characters: \b \t \n \f \r by name, the others
//   as \u00XX with lowercase hex; "/" and non-ASCII are written as is;
// - reals in Swift's shortest round-trip form with a trailing ".0" dropped (5.0 -> "5",
//   1e+20 stays), non-finite reals as null;
// - pretty: two-space indentation, " : " between key and value, and an empty container
//   as its brackets on separate lines with an empty line between them.
// Invariant: the output parses back (with JSONParser, within its nesting limit) to an equal
// value, except that an integral real comes back as an integer and a non-finite real as null.

/// Appends the JSON text of values to a byte buffer.
struct JSONSerializer {
    private var bytes: [UInt8] = []
    private let pretty: Bool

    private init(pretty: Bool) { self.pretty = pretty }

    /// The JSON text of `value`.
    static func serialize(_ value: JSONValue, pretty: Bool) -> [UInt8] {
        var serializer = JSONSerializer(pretty: pretty)
        serializer.write(value, level: 0)
        return serializer.bytes
    }

    /// Appends `value`, whose first line is already indented to `level`.
    private mutating func write(_ value: JSONValue, level: Int) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let integer): writeInteger(integer)
        case .double(let real): writeReal(real)
        case .string(let text): writeString(text)
        case .array(let elements):
            writeContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), count: elements.count, level: level) {
                serializer, index in serializer.write(elements[index], level: level + 1)
            }
        case .object(let members):
            let sorted = members.sorted { Self.precedes($0.key, $1.key) }
            writeContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), count: sorted.count, level: level) {
                serializer, index in
                serializer.writeString(sorted[index].key)
                serializer.append(serializer.pretty ? " : " : ":")
                serializer.write(sorted[index].value, level: level + 1)
            }
        }
    }

    /// Writes brackets around `count` items separated by commas (one per line when pretty);
    /// `writeItem` writes the item at an index.
    private mutating func writeContainer(
        open: UInt8, close: UInt8, count: Int, level: Int, writeItem: (inout JSONSerializer, Int) -> Void
    ) {
        bytes.append(open)
        if pretty { bytes.append(UInt8(ascii: "\n")) }
        for index in 0..<count {
            if index > 0 {
                bytes.append(UInt8(ascii: ","))
                if pretty { bytes.append(UInt8(ascii: "\n")) }
            }
            indent(level + 1)
            writeItem(&self, index)
        }
        if pretty {
            bytes.append(UInt8(ascii: "\n"))
            indent(level)
        }
        bytes.append(close)
    }

    private mutating func indent(_ level: Int) {
        if pretty { bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level)) }
    }

    /// Byte order of the UTF-8 of two keys.
    private static func precedes(_ a: String, _ b: String) -> Bool {
        let direct = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in
                for index in 0..<min(left.count, right.count) where left[index] != right[index] {
                    return left[index] < right[index]
                }
                return left.count < right.count
            }
        }
        // Only a string bridged from Objective-C lacks contiguous UTF-8.
        return (direct ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func writeInteger(_ integer: Int64) {
        if integer < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        var magnitude = integer.magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    private mutating func writeReal(_ real: Double) {
        guard real.isFinite else { return append("null") }
        var text = real.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        if text.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { appendEscaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends string content, copying runs that need no escape in one go.
    private mutating func appendEscaped(_ content: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in content.indices {
            let byte = content[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: content[runStart..<index]))
            runStart = index + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            default:
                let hexDigits: StaticString = "0123456789abcdef"
                append("u00")
                bytes.append(hexDigits.utf8Start[Int(byte >> 4)])
                bytes.append(hexDigits.utf8Start[Int(byte & 0xF)])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: content[runStart...]))
    }
}
