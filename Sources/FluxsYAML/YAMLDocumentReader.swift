// Turns YAML text (RFC 14 says jobspec is YAML 1.1) into a `JSONValue`, keeping the
// YAML 1.1 meaning of plain scalars as Yams' default resolver gives it: integers stay
// integers (`4`, `0x10`, `1_000`), reals stay reals (`3600.`, `.inf`), `yes`/`on`/`true`
// are booleans, `~`/`null`/empty are null, quoted scalars are strings. Most plain
// scalars (words, paths, decimal integers) are classified from their UTF-8 bytes; only
// the rest goes through Yams' regular expressions, which give the same answers slowly.
// Every failure is a `ParseError` that says where: `jobspec YAML 3:5: ...`.
import FluxsFormats
import Yams

/// Reads one YAML document into a `JSONValue`.
enum YAMLDocumentReader {
    /// Parses `text`, which must hold exactly one YAML document.
    static func read(_ text: String) throws(ParseError) -> JSONValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ParseError(describe(error))
        } catch {
            throw ParseError("jobspec YAML: \(error)")
        }
        guard let root else { throw ParseError("jobspec YAML: the document is empty") }
        return try value(of: root)
    }

    private static func value(of node: Node) throws(ParseError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return try value(of: scalar)
        case .sequence(let sequence):
            var array: [JSONValue] = []
            array.reserveCapacity(sequence.count)
            for element in sequence { array.append(try value(of: element)) }
            return .array(array)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(mapping.count)
            for (key, member) in mapping {
                guard case .scalar(let name) = key else {
                    throw error(at: key.mark, "mapping keys must be scalars, not collections")
                }
                object[name.string] = try value(of: member)
            }
            return .object(object)
        case .alias(let alias):
            throw error(at: alias.mark, "alias *\(alias.anchor.rawValue) is not resolved")
        }
    }

    private static func value(of scalar: Node.Scalar) throws(ParseError) -> JSONValue {
        let tagName = scalar.tag.rawValue
        if tagName.isEmpty, let quick = plainValue(scalar.string) { return quick }
        let resolved = tagName.isEmpty ? Resolver.default.resolveTag(of: .scalar(scalar)) : Tag.Name(rawValue: tagName)
        switch resolved {
        case .null:
            return .null
        case .bool:
            guard let bool = Bool.construct(from: scalar) else { throw invalid(scalar, "boolean") }
            return .bool(bool)
        case .int:
            guard let int = Int64.construct(from: scalar) else { throw invalid(scalar, "64-bit integer") }
            return .int(int)
        case .float:
            guard let real = Double.construct(from: scalar) else { throw invalid(scalar, "real number") }
            return .double(real)
        default:
            // Strings, and types JSON has no room for (timestamps, binary, custom tags), as text.
            return .string(scalar.string)
        }
    }

    /// The value of an untagged plain scalar when its bytes decide it quickly, else nil
    /// (the full resolver then decides). The first byte tells most: only a digit, sign
    /// or `.` can start a number or timestamp; `~`, `<<` and `=` are special; only
    /// words starting with y, n, t, f or o can be booleans or null; the rest are strings.
    private static func plainValue(_ text: String) -> JSONValue? {
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"):
            return decimalInteger(text.utf8).map(JSONValue.int)
        case UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "<"), UInt8(ascii: "="):
            return nil
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return wordValue(text, first: first)
        default:
            return .string(text)
        }
    }

    /// A plain scalar starting with a letter: a boolean, null or a string.
    private static func wordValue(_ text: String, first: UInt8) -> JSONValue {
        switch first | 0x20 {  // lowercase ASCII letter
        case UInt8(ascii: "y"), UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "o"):
            switch text {
            case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
            case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
            case "null", "Null", "NULL": return .null
            default: return .string(text)
            }
        default:
            return .string(text)
        }
    }

    /// `[-+]?(0|[1-9][0-9]*)` with at most 18 digits (so it cannot overflow), else nil.
    private static func decimalInteger(_ bytes: String.UTF8View) -> Int64? {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard let lead = digits.first, digits.count <= 18, lead != UInt8(ascii: "0") || digits.count == 1 else {
            return nil
        }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }

    private static func invalid(_ scalar: Node.Scalar, _ kind: String) -> ParseError {
        error(at: scalar.mark, "\"\(scalar.string)\" is not a valid \(kind)")
    }

    private static func error(at mark: Mark?, _ message: String) -> ParseError {
        ParseError("jobspec YAML \(mark.map { "\($0.line):\($0.column)" } ?? "?"): \(message)")
    }

    /// `jobspec YAML LINE:COLUMN: problem (context at LINE:COLUMN)`.
    private static func describe(_ error: YamlError) -> String {
        func located(_ mark: Mark, _ problem: String, _ context: YamlError.Context?) -> String {
            let origin = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return "jobspec YAML \(mark.line):\(mark.column): \(problem)\(origin)"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(mark, problem, context)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return "jobspec YAML \(context.mark.line):\(context.mark.column): duplicate key \(keys)"
        case .reader(let problem, let offset, _, _):
            return "jobspec YAML: \(problem)\(offset.map { " at character \($0)" } ?? "")"
        default:
            return "jobspec YAML: \(error)"
        }
    }
}
