// A JSON document as a value: what jobspec, R and eventlog contexts are made of.
// Numbers keep the integer/real distinction so that validators can say
// "must be an integer" and emitters write "4", not "4.0".
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
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

// MARK: - Codable

extension JSONValue: Codable {
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
    /// Parses JSON text. Throws `ParseError` naming the problem.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        try self.init(parsing: Data(text.utf8))
    }

    /// Parses JSON bytes. Throws `ParseError` naming the problem.
    public init(parsing data: Data) throws(ParseError) {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let error as DecodingError {
            throw ParseError("invalid JSON: \(Self.describe(error))")
        } catch {
            throw ParseError("invalid JSON: \(error)")
        }
    }

    /// Compact JSON text with sorted keys (no spaces, so it survives PMI and shell quoting).
    public var compactText: String { encoded(pretty: false) }
    /// Indented JSON text with sorted keys, for people.
    public var prettyText: String { encoded(pretty: true) }

    private func encoded(pretty: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty
            ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail except for non-finite reals, which we write as null.
        guard let data = try? encoder.encode(self.replacingNonFinite()) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    private func replacingNonFinite() -> JSONValue {
        switch self {
        case .double(let d) where !d.isFinite: .null
        case .array(let a): .array(a.map { $0.replacingNonFinite() })
        case .object(let o): .object(o.mapValues { $0.replacingNonFinite() })
        default: self
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let ctx):
            if let underlying = ctx.underlyingError { return "\(underlying)" }
            return ctx.debugDescription
        default:
            return "\(error)"
        }
    }
}
