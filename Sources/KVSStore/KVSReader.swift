// Reading one subtree back from a KVS database while another thread writes it: a
// read-only connection of its own, which WAL lets read the last committed state without
// waiting for the writer. The kvs module reads archived jobs' directories this way, on
// its loop: a lookup by primary-key range, tens of microseconds for a job's few rows.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import FluxsFormats
import FluxsKVS
import FluxsMessage
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// A read-only connection to a KVS database that a `KVSDatabase` has opened (and so
/// created and put in WAL mode).
public final class KVSReader: Sendable {
    /// The file's path.
    public let path: String
    let queue: DatabaseQueue

    /// Opens `database`'s file read-only.
    public init(_ database: KVSDatabase) throws(ServiceError) {
        path = database.path
        var configuration = Configuration()
        configuration.readonly = true
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw KVSDatabase.serviceError(error, path: path, doing: "cannot open for reading")
        }
    }

    /// The entry at `key` of `namespace` with its whole subtree, nil when the file has
    /// no such key.
    public func subtree(namespace: String, key: String) throws(ServiceError) -> KVSEntry? {
        let path = self.path
        do {
            return try queue.read { db -> KVSEntry? in
                var flat: [(key: String, entry: KVSEntry)] = []
                // Two ranges of the primary key (an OR of them would scan the table).
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT key, value, is_dir FROM entries WHERE namespace = ? AND key = ?
                    UNION ALL SELECT key, value, is_dir FROM entries WHERE namespace = ? AND key > ? AND key < ?
                    """, arguments: [namespace, key, namespace, key + ".", key + "/"])
                while let r = try rows.next() {
                    flat.append(try KVSDatabase.flatEntry(r, namespace: namespace, path: path))
                }
                if flat.isEmpty { return nil }
                let tree = try KVSNamespace(name: namespace, owner: 0, version: 0, flatEntries: flat)
                return try tree.entry(at: key)
            }
        } catch {
            throw KVSDatabase.serviceError(error, path: path, doing: "cannot read \(key)")
        }
    }
}
