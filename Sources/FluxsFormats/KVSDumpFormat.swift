// The KVS in a tar archive, as fluxs dump writes it and fluxs restore reads it (Flux's
// flux-dump(1) layout): one regular file per value, named by its key with the dots
// turned into slashes (job.0000.0004.b200.0000.eventlog is
// job/0000/0004/b200/0000/eventlog), holding the value: a string as its bytes (UTF-8),
// any other JSON value as compact JSON text marked by the pax record
// SCHILY.xattr.user.fluxs.json=1 (an extended attribute user.fluxs.json, which tar
// programs know and pass over without a warning).
// Empty directories are directory members (Flux leaves them out); other directories
// are implied by the files below them. A member without the mark is a string, so an
// archive from Flux or tar restores every file as a string value.
// Invariant: value(of: member(key: k, value: v, ...)) == v for every key and value.

/// Maps KVS keys and values to tar members and back.
public enum KVSDumpFormat {
    /// The pax record that marks a member holding JSON text rather than a string.
    public static let jsonRecord = "SCHILY.xattr.user.fluxs.json"

    /// The archive path of `key`; a key with a name holding "/" has none.
    public static func path(ofKey key: String) throws(ParseError) -> String {
        if key.contains("/") { throw ParseError("key \(key) holds a slash: it cannot be a path in the archive") }
        return key.split(separator: ".").joined(separator: "/")
    }

    /// The key of an archive path: leading "/" and "./" are dropped, "." names are
    /// skipped; ".." and names with whitespace are refused.
    public static func key(ofPath path: String) throws(ParseError) -> String {
        var names: [Substring] = []
        for name in path.split(separator: "/") where name != "." {
            if name == ".." { throw ParseError("\(path): a path with \"..\" is not a key") }
            if name.contains(where: \.isWhitespace) { throw ParseError("\(path): a name with whitespace is not a key") }
            names.append(name)
        }
        let key = names.joined(separator: ".")
        if key.isEmpty || key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw ParseError("\(path): not a valid key")
        }
        return key
    }

    /// The member for the value at `key`, with the other fields (mode, owner, time) of `template`.
    public static func member(key: String, value: JSONValue, template: TarEntry) throws(ParseError) -> TarEntry {
        var entry = template
        entry.path = try path(ofKey: key)
        entry.kind = .file
        entry.linkTarget = ""
        if case .string(let text) = value {
            entry.data = Array(text.utf8)
            entry.records = [:]
        } else {
            entry.data = value.compactBytes
            entry.records = [jsonRecord: "1"]
        }
        return entry
    }

    /// The member for the empty directory at `key`.
    public static func directory(key: String, template: TarEntry) throws(ParseError) -> TarEntry {
        var entry = template
        entry.path = try path(ofKey: key)
        entry.kind = .directory
        entry.mode = 0o755
        entry.data = []
        entry.records = [:]
        return entry
    }

    /// The value a regular-file member holds: JSON when marked, else a string, which
    /// must be UTF-8.
    public static func value(of entry: TarEntry) throws(ParseError) -> JSONValue {
        if entry.records[jsonRecord] == "1" {
            do { return try JSONValue(parsing: entry.data) } catch {
                throw ParseError("\(entry.path): marked JSON but is not: \(error.message)")
            }
        }
        guard let text = String(validating: entry.data, as: UTF8.self) else {
            throw ParseError("\(entry.path): not UTF-8 text, which a KVS string must be")
        }
        return .string(text)
    }
}
