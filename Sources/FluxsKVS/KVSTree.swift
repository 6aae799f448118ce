// In-place walks of a directory tree (nested dictionaries). The one trick that keeps a
// commit O(depth) per op instead of O(tree): a directory is taken out of its parent's
// slot (the slot holds a placeholder meanwhile), so the dictionary is uniquely
// referenced while it is mutated, then put back; every step goes through the
// dictionary's modify accessor (`&dir[name]`), one hash lookup per level.
// Invariant: on every path out (return or throw), the slot holds the directory again.
import FluxsFormats
import FluxsMessage

/// A directory's entries.
typealias KVSDirectory = [String: KVSEntry]

/// Where a walk made its first change: a missing parent or a value in the way replaced
/// by a directory (depth into the path, and what the slot held before).
struct KVSMade {
    var depth: Int
    var previous: KVSEntry?
}

enum KVSTree {
    /// Walks `dir` down to the slot of `path.last` (`path` non-empty, from `depth`) and
    /// runs `body` on it in place. With `create`, a missing parent or a value in the way
    /// becomes a directory (the first such place goes into `made`); without it, a missing
    /// parent is ENOENT for `key` and a value in the way ENOTDIR.
    static func withSlot<R>(
        _ dir: inout KVSDirectory, _ path: [String], _ depth: Int, key: String, create: Bool,
        made: inout KVSMade?, _ body: (inout KVSEntry?) throws(ServiceError) -> R
    ) throws(ServiceError) -> R {
        if depth == path.count - 1 { return try body(&dir[path[depth]]) }
        return try descend(&dir[path[depth]], path, depth, key: key, create: create, made: &made, body)
    }

    /// One level of `withSlot`: `slot` holds path[depth], a parent of the target.
    private static func descend<R>(
        _ slot: inout KVSEntry?, _ path: [String], _ depth: Int, key: String, create: Bool,
        made: inout KVSMade?, _ body: (inout KVSEntry?) throws(ServiceError) -> R
    ) throws(ServiceError) -> R {
        if case .directory(var sub)? = slot {
            slot = .value(.null)  // let go, so `sub` is the only reference
            defer { slot = .directory(sub) }
            return try withSlot(&sub, path, depth + 1, key: key, create: create, made: &made, body)
        }
        guard create else {
            if slot == nil { throw KVSErrors.notFound(key) }
            throw KVSErrors.notDirectory(path[...depth].joined(separator: "."))
        }
        if made == nil { made = KVSMade(depth: depth, previous: slot) }
        var sub: KVSDirectory = [:]
        let result = try withSlot(&sub, path, depth + 1, key: key, create: create, made: &made, body)
        slot = .directory(sub)
        return result
    }

    /// The entry at `path` (empty: the root), nil when absent; ENOTDIR names the first
    /// value found in the middle of the path.
    static func entry(in root: KVSDirectory, at path: [String]) throws(ServiceError) -> KVSEntry? {
        if path.isEmpty { return .directory(root) }
        var dir = root
        var i = 0
        while true {
            guard let e = dir[path[i]] else { return nil }
            if i == path.count - 1 { return e }
            guard case .directory(let d) = e else {
                throw KVSErrors.notDirectory(path[...i].joined(separator: "."))
            }
            dir = d
            i += 1
        }
    }
}
