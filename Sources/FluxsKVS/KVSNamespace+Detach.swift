// Taking a subtree out of memory and putting it back, for a store that keeps parts of
// a namespace on disk (the kvs module's archive of inactive jobs). Neither is a commit:
// the version stays, no change is recorded, and the namespace's contents are, as far as
// its readers can tell, the same once the subtree is back.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension KVSNamespace {
    /// Removes the entry at `key` from the tree and returns it (nil when absent); the
    /// parents stay, even when left empty.
    public mutating func detach(_ key: String) throws(ServiceError) -> KVSEntry? {
        let path = try Self.components(key)
        if path.isEmpty { throw KVSErrors.rootNotWritable("detach") }
        var made: KVSMade?
        do throws(ServiceError) {
            return try KVSTree.withSlot(&tree, path, 0, key: key, create: false, made: &made) {
                (slot: inout KVSEntry?) -> KVSEntry? in
                let entry = slot
                slot = nil
                return entry
            }
        } catch where error.errnum == ENOENT {
            return nil
        }
    }

    /// Puts `entry` back at `key` (what `detach` returned, or the same read from disk),
    /// making missing parents.
    public mutating func attach(_ entry: KVSEntry, at key: String) throws(ServiceError) {
        let path = try Self.components(key)
        if path.isEmpty { throw KVSErrors.rootNotWritable("attach") }
        var made: KVSMade?
        try KVSTree.withSlot(&tree, path, 0, key: key, create: true, made: &made) { (slot: inout KVSEntry?) -> Void in
            slot = entry
        }
    }
}
