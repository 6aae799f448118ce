// What one commit did, for persistence and watchers: the namespace version it made and
// one change per op, in op order (a later change may undo an earlier one, so they are
// replayed in order). Keys in changes are canonical dotted paths, never "." (the root
// cannot be written). A put that creates missing parents records only its own key: the
// parents are implied (every ancestor of a set key is a directory afterwards).
import FluxsFormats

/// The result of an applied commit.
public struct KVSCommit: Sendable {
    /// The namespace version after the commit.
    public var version: Int
    /// What changed, one entry per op, in order.
    public var changes: [KVSChange]

    /// Makes a commit record.
    public init(version: Int, changes: [KVSChange]) {
        self.version = version
        self.changes = changes
    }
}

/// One change made by a commit.
public enum KVSChange: Sendable, Hashable {
    /// A value or an (empty) directory was written at the key; the subtree that was there
    /// is gone, and every ancestor is now a directory.
    case set(key: String, KVSEntry)
    /// The key and its subtree are gone.
    case removed(key: String)
    /// `text` was appended to the string at the key (created when missing), which is
    /// `full` now: watchers in append mode get `text` alone.
    case appended(key: String, text: String, full: String)

    /// The key the change is at.
    public var key: String {
        switch self {
        case .set(let k, _), .removed(let k), .appended(let k, _, _): k
        }
    }
}

extension KVSCommit {
    /// True if any change is at `watchedKey`, above it (an ancestor replaced or removed)
    /// or below it. The root "." is affected by every change.
    public func affects(_ watchedKey: String) -> Bool {
        if watchedKey == "." { return !changes.isEmpty }
        for change in changes where KVSCommit.related(change.key, watchedKey) { return true }
        return false
    }

    /// True when the keys are equal or one is a dotted prefix of the other.
    public static func related(_ a: String, _ b: String) -> Bool {
        let (short, long) = a.utf8.count <= b.utf8.count ? (a.utf8, b.utf8) : (b.utf8, a.utf8)
        var li = long.startIndex
        for byte in short {
            if long[li] != byte { return false }
            li = long.index(after: li)
        }
        return li == long.endIndex || long[li] == UInt8(ascii: ".")
    }
}
