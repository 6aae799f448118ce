// Loading: every namespace of the file with its owner, version and tree, rebuilt from
// the flat rows (KVSNamespace.init(flatEntries:)). A value that is not JSON means the
// file was damaged: EINVAL naming file, namespace and key.
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

extension KVSDatabase {
    /// Every namespace in the file, sorted by name, with its entries and version. A
    /// namespace is in the file once `createNamespace` or an `apply` wrote it.
    public func load() throws(ServiceError) -> [KVSNamespace] {
        let path = self.path
        return try read("cannot load") { db in
            var out: [KVSNamespace] = []
            let namespaces = try Row.fetchAll(db, sql: "SELECT name, owner, version FROM namespaces ORDER BY name")
            for row in namespaces {
                let name: String = row[0]
                let owner: Int64 = row[1]
                let version: Int = row[2]
                var flat: [(key: String, entry: KVSEntry)] = []
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT key, value, is_dir FROM entries WHERE namespace = ?", arguments: [name])
                while let r = try rows.next() { flat.append(try Self.flatEntry(r, namespace: name, path: path)) }
                out.append(try KVSNamespace(
                    name: name, owner: UInt32(truncatingIfNeeded: owner), version: version, flatEntries: flat))
            }
            return out
        }
    }

    /// One row (key, value, is_dir) as a flat entry; a value that is not JSON is EINVAL.
    static func flatEntry(_ r: Row, namespace: String, path: String) throws(ServiceError) -> (key: String, entry: KVSEntry) {
        let key: String = r[0]
        if (r[2] as Int) != 0 { return (key, .directory([:])) }
        let bytes: Data = r[1] ?? Data()
        do {
            return (key, .value(try JSONValue(parsing: bytes)))
        } catch {
            throw ServiceError(EINVAL, "\(path): damaged value at \(namespace):\(key) (\(error))")
        }
    }
}
