// Writing commits and namespaces. A change replays on the rows as it did on the tree:
// `.set` writes the key's row (replacing a row there), deletes its old subtree and makes
// every ancestor a directory row; `.removed` deletes the key's row and subtree. Changes
// are replayed in order, all in one transaction with the namespace's new version.
// Ancestors already made a directory in this commit are remembered, so 1,000 puts under
// one directory upsert it once.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import FluxsKVS
import FluxsMessage
import GRDB
#if canImport(Glibc)
import Glibc
#endif

extension KVSDatabase {
    /// Writes one applied commit of `namespace` (created with `owner` if the file has not
    /// got it yet): its changes and its version, in one SQLite transaction.
    public func apply(namespace: String, owner: UInt32, commit: KVSCommit) throws(ServiceError) {
        try apply(batch: [(namespace, owner, commit)])
    }

    /// Writes several applied commits, in order, in one SQLite transaction (group commit:
    /// what a busy KVS queued while the previous transaction was being written).
    public func apply(batch: [(namespace: String, owner: UInt32, commit: KVSCommit)]) throws(ServiceError) {
        guard let first = batch.first, let last = batch.last else { return }
        let what = batch.count == 1
            ? "cannot write commit \(first.commit.version) of namespace \(first.namespace)"
            : "cannot write commits \(first.commit.version)-\(last.commit.version)"
        try write(what) { db in
            for item in batch {
                try db.cachedStatement(sql: """
                    INSERT INTO namespaces(name, owner, version) VALUES(?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, version = excluded.version
                    """).execute(arguments: [item.namespace, Int64(item.owner), item.commit.version])
                var writer = try EntryWriter(db: db, namespace: item.namespace)
                for change in item.commit.changes { try writer.replay(change) }
            }
        }
    }

    /// Adds an empty namespace at version 0; EEXIST if the file has it already.
    public func createNamespace(_ name: String, owner: UInt32) throws(ServiceError) {
        let exists: Bool = try write("cannot create namespace \(name)") { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM namespaces WHERE name = ?", arguments: [name]) != nil {
                return true
            }
            try db.execute(sql: "DELETE FROM entries WHERE namespace = ?", arguments: [name])
            try db.execute(sql: "INSERT INTO namespaces(name, owner, version) VALUES(?, ?, 0)",
                           arguments: [name, Int64(owner)])
            return false
        }
        if exists { throw ServiceError(EEXIST, "namespace \(name) already exists") }
    }

    /// Deletes a namespace and all its entries; ENOENT if the file has not got it.
    public func removeNamespace(_ name: String) throws(ServiceError) {
        let removed: Bool = try write("cannot remove namespace \(name)") { db in
            try db.execute(sql: "DELETE FROM entries WHERE namespace = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM namespaces WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
        if !removed { throw KVSErrors.namespaceNotFound(name) }
    }
}

/// Replays changes of one commit on the entries of one namespace.
private struct EntryWriter {
    let namespace: String
    let upsert: Statement
    let makeDirectory: Statement
    let deleteKey: Statement
    let deleteRange: Statement
    let deleteAll: Statement
    /// Keys known to be directory rows in this transaction.
    var directories: Set<String> = []

    init(db: Database, namespace: String) throws {
        self.namespace = namespace
        upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO entries(namespace, key, value, is_dir) VALUES(?, ?, ?, ?)")
        makeDirectory = try db.cachedStatement(sql: """
            INSERT INTO entries(namespace, key, value, is_dir) VALUES(?, ?, NULL, 1)
            ON CONFLICT(namespace, key) DO UPDATE SET value = NULL, is_dir = 1 WHERE is_dir = 0
            """)
        deleteKey = try db.cachedStatement(sql: "DELETE FROM entries WHERE namespace = ? AND key = ?")
        deleteRange = try db.cachedStatement(sql: "DELETE FROM entries WHERE namespace = ? AND key > ? AND key < ?")
        deleteAll = try db.cachedStatement(sql: "DELETE FROM entries WHERE namespace = ?")
    }

    mutating func replay(_ change: KVSChange) throws {
        switch change {
        case .appended(let key, _, let full):
            try replay(.set(key: key, .value(.string(full))))
        case .set(let key, let entry):
            if key == "." {
                try deleteAll.execute(arguments: [namespace])
                directories.removeAll()
                for (name, child) in entry.directory ?? [:] { try write(child, at: name) }
                return
            }
            try makeAncestors(of: key)
            try deleteSubtree(of: key)
            try write(entry, at: key)
        case .removed(let key):
            if key == "." {
                try deleteAll.execute(arguments: [namespace])
                directories.removeAll()
                return
            }
            try deleteKey.execute(arguments: [namespace, key])
            try deleteSubtree(of: key)
        }
    }

    /// Makes every proper prefix of `key` a directory row.
    private mutating func makeAncestors(of key: String) throws {
        var i = key.utf8.startIndex
        while i != key.utf8.endIndex {
            if key.utf8[i] == UInt8(ascii: ".") {
                let prefix = String(key[..<i])
                if directories.insert(prefix).inserted {
                    try makeDirectory.execute(arguments: [namespace, prefix])
                }
            }
            i = key.utf8.index(after: i)
        }
    }

    /// Deletes every row below `key` and forgets directories there.
    private mutating func deleteSubtree(of key: String) throws {
        try deleteRange.execute(arguments: [namespace, key + ".", key + "/"])
        if directories.remove(key) != nil {
            let prefix = key + "."
            directories = directories.filter { !$0.hasPrefix(prefix) }
        }
    }

    /// Writes the row of `entry` at `key` and, for a directory, its whole subtree.
    private mutating func write(_ entry: KVSEntry, at key: String) throws {
        switch entry {
        case .value(let v):
            try upsert.execute(arguments: [namespace, key, Data(v.compactBytes), 0])
        case .directory(let d):
            try upsert.execute(arguments: [namespace, key, nil, 1])
            directories.insert(key)
            for (name, child) in d { try write(child, at: key + "." + name) }
        }
    }
}
