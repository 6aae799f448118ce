// A JSON document as a value (RFC 8259): what jobspec, R, eventlog contexts and every
// message payload are made of. Numbers keep the integer/real distinction so that
// validators can say "must be an integer" and emitters write "4", not "4.0".
// Text goes through JSONParser and JSONSerializer, which work on UTF-8 bytes;
// Codable conformance is kept for embedding a JSONValue in Codable types.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON value. Objects keep their keys in a dictionary; emitters sort them.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

// MARK: - Accessors

extension JSONValue {
    /// The string, when this is a string.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The integer, when this is an integer (or a real with an integral value).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e18: return Int64(d)
        default: return nil
        }
    }
    /// The number, when this is an integer or a real.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    /// The boolean, when this is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    /// True for `null`.
    public var isNull: Bool { self == .null }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { o[key] } else { nil }
    }

    /// A short name of the value's kind, for error messages ("string", "object", ...).
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string: `"text"`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer: `4`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A boolean: `true`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A real: `1.5`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// An array: `[1, "a"]`.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An object: `["key": 1]`; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    /// `null`: `nil`.
    public init(nilLiteral: ()) { self = .null }
}

// MARK: - Codable

extension JSONValue: Codable {
    /// Decodes whichever JSON value the decoder holds (for JSONValue inside Codable types).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    /// Encodes the value as the matching JSON value.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

// MARK: - Text

extension JSONValue {
    /// Parses JSON text. Throws `ParseError` naming the problem and its offset, e.g.
    /// `invalid JSON: unexpected character 'x' at offset 12`.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        self = try Self.parse(text.utf8)
    }

    /// Parses JSON bytes (UTF-8). Throws `ParseError` naming the problem.
    public init(parsing data: Data) throws(ParseError) {
        self = try Self.parse(data)
    }

    /// Parses JSON bytes (UTF-8) in place, without copying them when they are contiguous,
    /// as `[UInt8]`, `ArraySlice<UInt8>` and `UnsafeRawBufferPointer` are.
    /// Throws `ParseError` naming the problem.
    public init(parsing bytes: some Collection<UInt8>) throws(ParseError) {
        self = try Self.parse(bytes)
    }

    private static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> JSONValue {
        func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, ParseError> {
            Result { () throws(ParseError) in try JSONParser.parse(buffer) }
        }
        let result = bytes.withContiguousStorageIfAvailable(parseBuffer)
            ?? Array(bytes).withUnsafeBufferPointer(parseBuffer)
        return try result.get()
    }

    /// Compact JSON text with sorted keys (no spaces, so it survives PMI and shell quoting).
    public var compactText: String { String(decoding: compactBytes, as: UTF8.self) }
    /// The UTF-8 bytes of `compactText`, made without building a String (for message payloads).
    public var compactBytes: [UInt8] { JSONSerializer.serialize(self, pretty: false) }
    /// Indented JSON text with sorted keys, for people.
    public var prettyText: String { String(decoding: JSONSerializer.serialize(self, pretty: true), as: UTF8.self) }
}
