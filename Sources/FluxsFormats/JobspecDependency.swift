// One entry of `attributes.system.dependencies` (RFC 26): a scheme such as
// "afterok" and a value such as a job ID; other keys are kept but not interpreted.
// The command line writes one as a URI, SCHEME:VALUE[?key=val[&key=val...]] (flux-core's
// URIArg): a URI without ":" is a scheme with an empty value ("singleton"); each query
// key becomes a key of the entry, its value a number when it reads as one, an array when
// the key is repeated; fields without "=" or with an empty value are dropped, "+" and
// %XX are decoded (Python's parse_qs).

/// A job dependency from a jobspec.
public struct JobspecDependency: Sendable, Hashable {
    /// The dependency scheme, e.g. `afterok`.
    public var scheme: String
    /// The scheme's argument, e.g. a job ID.
    public var value: String
    /// The entry's other keys (a URI's `?key=val` options), kept as given.
    public var options: [String: JSONValue]

    /// Makes a dependency.
    public init(scheme: String, value: String, options: [String: JSONValue] = [:]) {
        self.scheme = scheme
        self.value = value
        self.options = options
    }

    /// Reads a dependency URI, e.g. "afterok:ƒ2Xo6SQQy?tag=a". Throws for a URI whose
    /// scheme is empty or not letters, digits, "+", "-" and "." after a letter.
    public init(uri: String) throws(ParseError) {
        let colon = uri.firstIndex(of: ":")
        let scheme = colon.map { String(uri[..<$0]) } ?? uri
        var rest = colon.map { String(uri[uri.index(after: $0)...]) } ?? ""
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic,
              scheme.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) })
        else { throw ParseError("Invalid dependency URI \"\(uri)\"") }
        if let hash = rest.firstIndex(of: "#") { rest = String(rest[..<hash]) }
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        var options: [String: [JSONValue]] = [:]
        var order: [String] = []
        for field in query.split(separator: "&") {
            guard let equals = field.firstIndex(of: "=") else { continue }
            let key = Self.decode(field[..<equals]), value = Self.decode(field[field.index(after: equals)...])
            guard !value.isEmpty else { continue }
            if options[key] == nil { order.append(key) }
            options[key, default: []].append(Self.number(value))
        }
        var flat: [String: JSONValue] = [:]
        for key in order { flat[key] = options[key]!.count == 1 ? options[key]![0] : .array(options[key]!) }
        self.init(scheme: scheme, value: rest, options: flat)
    }

    /// The RFC 26 entry: scheme, value and the options.
    public var json: JSONValue {
        var object = options
        object["scheme"] = .string(scheme)
        object["value"] = .string(value)
        return .object(object)
    }

    /// An integer, else a finite number, else the string.
    private static func number(_ text: String) -> JSONValue {
        if let integer = Int64(text) { return .int(integer) }
        if let double = Double(text), double.isFinite, text.first.map({ $0.isNumber || $0 == "-" || $0 == "." || $0 == "+" }) ?? false {
            return .double(double)
        }
        return .string(text)
    }

    /// "+" as a space and %XX as the byte XX (invalid escapes kept as written).
    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                      let high = hex(utf8[utf8.startIndex]), let low = hex(utf8[utf8.startIndex + 1]) {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
