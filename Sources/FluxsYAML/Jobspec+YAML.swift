// The text front end of jobspec (RFC 14/25 define jobspec as YAML; Flux also takes
// its JSON form): YAML or JSON text in, `JSONValue` or validated `Jobspec` out.
// JSON-looking text goes through the JSON parser first (it is faster); anything it
// refuses is read as YAML, whose errors carry a line and column.
import FluxsFormats

extension Jobspec {
    /// Parses YAML or JSON text into a `JSONValue`, without jobspec validation.
    /// YAML 1.1 scalars keep their types (integers stay integers; `yes` is true; `~`
    /// is null). Throws `ParseError` with the line and column of a syntax error.
    public static func parseDocument(_ text: String) throws(ParseError) -> JSONValue {
        if looksLikeJSON(text), let json = try? JSONValue(parsing: text) {
            return json
        }
        return try YAMLDocumentReader.read(text)
    }

    /// Parses YAML or JSON text and validates it as a version 1 jobspec. Throws
    /// `ParseError` for a syntax error or (listing every problem) an invalid jobspec.
    public init(parsing text: String) throws(ParseError) {
        let json = try Self.parseDocument(text)
        let jobspec: Jobspec
        do {
            jobspec = try Jobspec(validating: json)
        } catch {
            throw error.parseError
        }
        self = jobspec
    }

    /// True when the first non-blank byte opens a JSON object.
    private static func looksLikeJSON(_ text: String) -> Bool {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            default: return byte == UInt8(ascii: "{")
            }
        }
        return false
    }
}
