// A KVS namespace: a tree of directories and values, its owner and its version (0 when
// created, +1 per commit). Reads are here; commits are in KVSNamespace+Commit.swift.
// Keys are dotted paths "a.b.c": components non-empty, no whitespace, at most
// `maximumDepth` of them (trees are walked recursively: a key of a million components
// from any client must not take the broker's stack); "." alone is the root directory. Invariant: the version counts the commits applied, and a failed commit
// leaves tree and version exactly as they were.
import FluxsFormats
import FluxsMessage

/// One namespace of the KVS (equal when name, owner, version and tree are).
public struct KVSNamespace: Sendable, Equatable {
    /// The namespace's name ("primary" or one made by kvs.namespace-create).
    public let name: String
    /// The uid that owns the namespace.
    public var owner: UInt32
    /// The number of commits applied since the namespace was created.
    public internal(set) var version: Int
    /// The root directory's entries.
    var tree: [String: KVSEntry]

    /// A namespace at `version` with the given root entries (empty when nil).
    public init(name: String, owner: UInt32, version: Int = 0, entries: [String: KVSEntry]? = nil) {
        self.name = name
        self.owner = owner
        self.version = version
        self.tree = entries ?? [:]
    }

    /// The root directory's entries.
    public var root: [String: KVSEntry] { tree }

    /// The most components a key may have.
    public static let maximumDepth = 256

    /// The components of a key: "a.b" is ["a", "b"], "." is [] (the root). An empty key,
    /// an empty component ("a..b", ".a", "a.") or whitespace is EINVAL.
    public static func components(_ key: String) throws(ServiceError) -> [String] {
        let utf8 = key.utf8
        if utf8.isEmpty { throw KVSErrors.invalidKey(key, "empty key") }
        if utf8.count == 1 && utf8.first == UInt8(ascii: ".") { return [] }
        var out: [String] = []
        var start = utf8.startIndex
        var nonASCII = false
        var i = start
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: ".") {
                if i == start { throw KVSErrors.invalidKey(key, "empty component") }
                if out.count == maximumDepth - 1 { throw KVSErrors.invalidKey(key, "more than \(maximumDepth) components") }
                out.append(String(key[start..<i]))
                start = utf8.index(after: i)
            } else if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                throw KVSErrors.invalidKey(key, "whitespace")
            } else if byte >= 0x80 {
                nonASCII = true
            }
            i = utf8.index(after: i)
        }
        if start == utf8.endIndex { throw KVSErrors.invalidKey(key, "empty component") }
        out.append(String(key[start...]))
        if nonASCII, key.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            throw KVSErrors.invalidKey(key, "whitespace")
        }
        return out
    }

    /// The entry at `key` ("." is the root directory), nil when absent; ENOTDIR when a
    /// value sits in the middle of the path; EINVAL for a bad key.
    public func entry(at key: String) throws(ServiceError) -> KVSEntry? {
        try KVSTree.entry(in: tree, at: Self.components(key))
    }

    /// The value at `key`: ENOENT `key K not found`, EISDIR `K is a directory`.
    public func get(_ key: String) throws(ServiceError) -> JSONValue {
        switch try entry(at: key) {
        case .value(let v)?: return v
        case .directory?: throw KVSErrors.isDirectory(key)
        case nil: throw KVSErrors.notFound(key)
        }
    }

    /// The directory at `key` (an entry of kind `.directory`, whole subtree):
    /// ENOENT `key K not found`, ENOTDIR `K is not a directory`.
    public func lookup(_ key: String) throws(ServiceError) -> KVSEntry {
        switch try entry(at: key) {
        case let dir? where dir.isDirectory: return dir
        case .value?: throw KVSErrors.notDirectory(key)
        default: throw KVSErrors.notFound(key)
        }
    }
}
