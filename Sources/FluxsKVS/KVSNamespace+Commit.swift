// Commits: a list of ops applied all-or-nothing, first error wins. Ops mutate the tree
// in place (KVSTree); each successful op but the last leaves an undo record (the first
// place it changed and what was there, or the length of a string before an append), and
// a failing op changes nothing before it throws, so undoing the records in reverse order
// restores the tree exactly. A put or mkdir replaces whatever was at its key; missing
// parents, and values in the way, become directories (as flux-core does).
import FluxsFormats
import FluxsMessage
import FluxsProtocol

/// How to take back one op of a failed commit.
private struct KVSUndo {
    enum Action {
        /// Put this back in the slot (nil: remove the key).
        case restore(KVSEntry?)
        /// Cut the string value back to this many UTF-8 bytes.
        case truncate(Int)
    }
    /// The components of the op's key.
    var path: [String]
    /// The undo is at path[...depth].
    var depth: Int
    var action: Action
}

extension KVSNamespace {
    /// Applies `ops` in order as one commit and bumps the version; on an error, nothing
    /// is applied and the first error is thrown.
    public mutating func commit(_ ops: [KVSOperation]) throws(ServiceError) -> KVSCommit {
        var changes: [KVSChange] = []
        changes.reserveCapacity(ops.count)
        var undo: [KVSUndo] = []
        let last = ops.count - 1
        for (i, op) in ops.enumerated() {
            do throws(ServiceError) {
                let u = try apply(op, into: &changes)
                if i != last { undo.append(u) }
            } catch {
                for u in undo.reversed() { Self.revert(&tree, u) }
                throw error
            }
        }
        version += 1
        return KVSCommit(version: version, changes: changes)
    }

    /// Applies one op, appends its change and returns how to take it back.
    private mutating func apply(_ op: KVSOperation, into changes: inout [KVSChange]) throws(ServiceError) -> KVSUndo {
        switch op {
        case .put(let key, let value):
            let undo = try write(.value(value), at: key, op: "put")
            changes.append(.set(key: key, .value(value)))
            return undo
        case .mkdir(let key):
            let undo = try write(.directory([:]), at: key, op: "mkdir")
            changes.append(.set(key: key, .directory([:])))
            return undo
        case .append(let key, let text):
            let path = try Self.components(key)
            if path.isEmpty { throw KVSErrors.rootNotWritable("append to") }
            var made: KVSMade?
            let (undoAction, full) = try KVSTree.withSlot(&tree, path, 0, key: key, create: true, made: &made) {
                (slot: inout KVSEntry?) throws(ServiceError) -> (KVSUndo.Action, String) in
                switch slot {
                case nil:
                    slot = .value(.string(text))
                    return (.restore(nil), text)
                case .value(.string(var s))?:
                    slot = .value(.null)  // let go, so `s` is appended in place
                    let count = s.utf8.count
                    s += text
                    slot = .value(.string(s))
                    return (.truncate(count), s)
                case .directory?:
                    throw KVSErrors.isDirectory(key)
                case .value?:
                    throw KVSErrors.notString(key)
                }
            }
            changes.append(.appended(key: key, text: text, full: full))
            if let made { return KVSUndo(path: path, depth: made.depth, action: .restore(made.previous)) }
            return KVSUndo(path: path, depth: path.count - 1, action: undoAction)
        case .unlink(let key, let recursive):
            let path = try Self.components(key)
            if path.isEmpty { throw KVSErrors.rootNotWritable("unlink") }
            var made: KVSMade?
            let previous = try KVSTree.withSlot(&tree, path, 0, key: key, create: false, made: &made) {
                (slot: inout KVSEntry?) throws(ServiceError) -> KVSEntry in
                switch slot {
                case nil: throw KVSErrors.notFound(key)
                case .directory(let d)? where !d.isEmpty && !recursive: throw KVSErrors.notEmpty(key)
                case let entry?:
                    slot = nil
                    return entry
                }
            }
            changes.append(.removed(key: key))
            return KVSUndo(path: path, depth: path.count - 1, action: .restore(previous))
        }
    }

    /// Puts `entry` at `key`, replacing what was there and creating missing parents.
    private mutating func write(_ entry: KVSEntry, at key: String, op: String) throws(ServiceError) -> KVSUndo {
        let path = try Self.components(key)
        if path.isEmpty { throw KVSErrors.rootNotWritable(op) }
        var made: KVSMade?
        let previous = try KVSTree.withSlot(&tree, path, 0, key: key, create: true, made: &made) {
            (slot: inout KVSEntry?) -> KVSEntry? in
            let previous = slot
            slot = entry
            return previous
        }
        if let made { return KVSUndo(path: path, depth: made.depth, action: .restore(made.previous)) }
        return KVSUndo(path: path, depth: path.count - 1, action: .restore(previous))
    }

    /// Takes one op back; the tree is as the op left it, so every parent exists.
    private static func revert(_ tree: inout [String: KVSEntry], _ undo: KVSUndo) {
        let path = Array(undo.path[...undo.depth])
        var made: KVSMade?
        do throws(ServiceError) {
            try KVSTree.withSlot(&tree, path, 0, key: "", create: false, made: &made) {
                (slot: inout KVSEntry?) -> Void in
                switch undo.action {
                case .restore(let previous):
                    slot = previous
                case .truncate(let count):
                    guard case .value(.string(let s))? = slot else { return }
                    slot = .value(.string(String(Substring(s.utf8.prefix(count)))))
                }
            }
        } catch {
            assertionFailure("KVS undo found the tree changed: \(error)")
        }
    }
}

extension KVSNamespace {
    /// A namespace rebuilt from flat (key, entry) rows as a store keeps them, in any
    /// order: values are put at their keys, directories made when missing (an existing
    /// directory is kept, so a directory row may come after its children).
    public init(
        name: String, owner: UInt32, version: Int, flatEntries: some Sequence<(key: String, entry: KVSEntry)>
    ) throws(ServiceError) {
        self.init(name: name, owner: owner, version: version)
        for (key, entry) in flatEntries {
            let path = try Self.components(key)
            if path.isEmpty { continue }
            var made: KVSMade?
            try KVSTree.withSlot(&tree, path, 0, key: key, create: true, made: &made) {
                (slot: inout KVSEntry?) -> Void in
                if case .directory? = slot, case .directory(let d) = entry, d.isEmpty { return }
                slot = entry
            }
        }
    }
}
