// Flux KVS event logs (RFC 18): one compact JSON object per line, every line ending in
// "\n". An entry has "timestamp" (a number > 0: seconds since the Unix epoch, sub-second
// precision allowed), "name" (a non-empty string) and optionally "context" (an object);
// other keys are ignored, as flux-core ignores them.
// Invariant: for valid entries `Eventlog.parse(Eventlog.format(entries)) == entries`;
// timestamps are written in the shortest text that reads back to the same Double
// (1700000000.123456, or 42.0 for a whole second, as flux-core writes them).
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One event of an eventlog.
public struct EventlogEntry: Sendable, Hashable {
    /// When the event happened, in seconds since the Unix epoch; must be > 0.
    public var timestamp: Double
    /// The event's name, e.g. "submit"; must not be empty.
    public var name: String
    /// Event-specific data, if any.
    public var context: [String: JSONValue]?

    /// An entry as given; RFC 18 wants `timestamp > 0` and a non-empty `name`, which
    /// parsing checks and `line` takes on trust.
    public init(timestamp: Double, name: String, context: [String: JSONValue]? = nil) {
        self.timestamp = timestamp
        self.name = name
        self.context = context
    }

    /// Parses one entry: a JSON object, optionally followed by its "\n".
    public init(parsing line: some StringProtocol) throws(ParseError) {
        var text = String(line)
        let result = text.withUTF8 { bytes -> Result<EventlogEntry, ParseError> in
            let body = bytes.last == UInt8(ascii: "\n")
                ? UnsafeBufferPointer(rebasing: bytes.dropLast()) : bytes
            return Result { () throws(ParseError) in
                if body.contains(UInt8(ascii: "\n")) { throw ParseError("must be a single line") }
                return try Self.decode(body)
            }.mapError { ParseError("eventlog entry: \($0.message)") }
        }
        self = try result.get()
    }

    /// The entry as an eventlog line: compact JSON, keys timestamp, name, context, then "\n".
    public var line: String {
        var text = "{\"timestamp\":\(timestamp),\"name\":" + JSONValue.string(name).compactText
        if let context {
            text += ",\"context\":" + JSONValue.object(context).compactText
        }
        return text + "}\n"
    }

    /// The entry a line (without its newline) holds; throws a bare reason.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> EventlogEntry {
        if bytes.isEmpty { throw ParseError("is empty") }
        guard case .object(let members) = try JSONValue(parsing: Data(buffer: bytes)) else {
            throw ParseError("must be a JSON object")
        }
        guard let timestamp = members["timestamp"] else { throw ParseError("missing \"timestamp\"") }
        guard let seconds = timestamp.doubleValue else {
            throw ParseError("\"timestamp\" must be a number, not \(timestamp.kindName)")
        }
        guard seconds > 0 else { throw ParseError("\"timestamp\" must be greater than zero") }
        guard let name = members["name"] else { throw ParseError("missing \"name\"") }
        guard case .string(let text) = name else {
            throw ParseError("\"name\" must be a string, not \(name.kindName)")
        }
        guard !text.isEmpty else { throw ParseError("\"name\" must not be empty") }
        var context: [String: JSONValue]?
        if let value = members["context"] {
            guard case .object(let object) = value else {
                throw ParseError("\"context\" must be an object, not \(value.kindName)")
            }
            context = object
        }
        return EventlogEntry(timestamp: seconds, name: text, context: context)
    }
}

/// Reading and writing whole eventlogs (RFC 18).
public enum Eventlog {
    /// Parses an eventlog: entries one per line, each line ending in "\n". An empty text
    /// is an empty log. Errors name the 1-based line, e.g. `eventlog line 2: missing "name"`.
    public static func parse(_ text: some StringProtocol) throws(ParseError) -> [EventlogEntry] {
        var string = String(text)
        let result = string.withUTF8 { bytes -> Result<[EventlogEntry], ParseError> in
            var entries: [EventlogEntry] = []
            var start = 0
            while start < bytes.count {
                let lineNumber = entries.count + 1
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                    return .failure(ParseError("eventlog line \(lineNumber): does not end with a newline"))
                }
                do throws(ParseError) {
                    entries.append(try EventlogEntry.decode(UnsafeBufferPointer(rebasing: bytes[start..<end])))
                } catch {
                    return .failure(ParseError("eventlog line \(lineNumber): \(error.message)"))
                }
                start = end + 1
            }
            return .success(entries)
        }
        return try result.get()
    }

    /// The eventlog text of `entries`: each entry's `line`, in order.
    public static func format(_ entries: [EventlogEntry]) -> String {
        entries.map(\.line).joined()
    }
}

/// Reads an eventlog that grows (a kvs.watch answer holds the whole log each time): each
/// call gives the entries appended since the last one. Pure.
public struct EventlogCursor: Sendable {
    private var bytes = 0

    public init() {}

    /// The entries of `log` past those already returned.
    public mutating func newEntries(_ log: String) throws(ParseError) -> [EventlogEntry] {
        let utf8 = log.utf8
        guard utf8.count > bytes else { return [] }
        let fresh = String(decoding: utf8.dropFirst(bytes), as: UTF8.self)
        bytes = utf8.count
        return try Eventlog.parse(fresh)
    }
}
