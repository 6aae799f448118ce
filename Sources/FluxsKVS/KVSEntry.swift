// One node of a KVS namespace: a JSON value, or a directory of named entries.
// Directories are plain nested dictionaries, so a whole tree is a value type whose
// subtrees are shared copy-on-write; commits mutate them in place (KVSTree.swift).
// The wire form is the spec's: {"value": JSON} or {"dir": {NAME: ENTRY, ...}}.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// An entry of a KVS directory: a value or a directory.
public enum KVSEntry: Sendable, Hashable {
    /// A JSON value.
    case value(JSONValue)
    /// A directory: entry names (no dots) to entries.
    case directory([String: KVSEntry])

    /// The spec's JSON form: `{"value": v}` or `{"dir": {NAME: ENTRY}}`, whole subtree.
    public var json: JSONValue {
        switch self {
        case .value(let v): return .object(["value": v])
        case .directory(let d): return .object(["dir": .object(d.mapValues(\.json))])
        }
    }

    /// Reads the spec's JSON form back; anything else is EPROTO.
    public init(json: JSONValue) throws(ServiceError) {
        guard case .object(let o) = json, o.count == 1 else {
            throw ServiceError(EPROTO, "malformed KVS entry: expected {\"value\": ...} or {\"dir\": {...}}")
        }
        if let v = o["value"] {
            self = .value(v)
        } else if case .object(let members)? = o["dir"] {
            var dir: [String: KVSEntry] = [:]
            dir.reserveCapacity(members.count)
            for (name, child) in members { dir[name] = try KVSEntry(json: child) }
            self = .directory(dir)
        } else {
            throw ServiceError(EPROTO, "malformed KVS entry: expected {\"value\": ...} or {\"dir\": {...}}")
        }
    }

    /// True for a directory.
    public var isDirectory: Bool { if case .directory = self { true } else { false } }
    /// The value, when this is a value.
    public var value: JSONValue? { if case .value(let v) = self { v } else { nil } }
    /// The entries, when this is a directory.
    public var directory: [String: KVSEntry]? { if case .directory(let d) = self { d } else { nil } }
}
