// The KVS on disk: commits written and read back after reopening, removed and replaced
// subtrees (siblings that share a prefix stay), namespaces, files that are not ours
// refused with the message and left untouched, and a long run that reopens intact.
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
import Foundation
import GRDB
import KVSStore
import Testing

struct KVSDatabaseTests {
    /// Commits `ops` to `ns` in memory and on disk.
    static func commit(_ ns: inout KVSNamespace, _ db: KVSDatabase, _ ops: [KVSOperation]) throws {
        let c = try ns.commit(ops)
        try db.apply(namespace: ns.name, owner: ns.owner, commit: c)
    }

    @Test func newFileHasTheSchemaAndWAL() throws {
        let dir = try TempDir()
        let path = dir.file("kvs.sqlite")
        _ = try KVSDatabase(path: path)
        let (format, mode, tables) = try DatabaseQueue(path: path).read { db in
            (try String.fetchOne(db, sql: "SELECT value FROM fluxs_meta WHERE key = 'format'"),
             try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        }
        #expect(format == "fluxs-kvs 1")
        #expect(mode == "wal")
        #expect(tables == ["entries", "fluxs_meta", "namespaces"])
        #expect(try KVSDatabase(path: path).load().isEmpty)
    }

    @Test func roundTrip() throws {
        let dir = try TempDir()
        let path = dir.file("kvs.sqlite")
        var ns = KVSNamespace(name: "primary", owner: 1000)
        do {
            let db = try KVSDatabase(path: path)
            try Self.commit(&ns, db, [.put("a.b", 1), .put("a.c", ["x": [1.5, nil, true]]), .mkdir("empty"),
                                      .mkdir("d.e"), .put("s", "ƒ-ü \"quoted\"\n")])
            try Self.commit(&ns, db, [.append("job.1.eventlog", "{\"name\":\"submit\"}\n")])
            try Self.commit(&ns, db, [.append("job.1.eventlog", "{\"name\":\"alloc\"}\n"), .put("n", -7)])
            #expect(try db.load() == [ns])
        }
        let loaded = try KVSDatabase(path: path).load()
        #expect(loaded == [ns])
        #expect(loaded.first?.version == 3)
        #expect(try loaded.first?.lookup("empty") == .directory([:]))
        #expect(try loaded.first?.get("job.1.eventlog") == "{\"name\":\"submit\"}\n{\"name\":\"alloc\"}\n")
    }

    /// A reader sees one subtree as the writer committed it (siblings sharing a prefix
    /// excluded), nil for a missing key, and a scratch (not durable) file works alike.
    @Test func readerReadsOneSubtree() throws {
        let dir = try TempDir()
        for durable in [true, false] {
            let db = try KVSDatabase(path: dir.file("kvs-\(durable).sqlite"), durable: durable)
            var ns = KVSNamespace(name: "primary", owner: 0)
            try Self.commit(&ns, db, [.put("job.1.a", 1), .put("job.1.b.c", "x"), .put("job.10.a", 2), .put("job.1x", 3)])
            let reader = try KVSReader(db)
            #expect(try reader.subtree(namespace: "primary", key: "job.1") == ns.entry(at: "job.1"))
            #expect(try reader.subtree(namespace: "primary", key: "job.1.b.c") == .value("x"))
            #expect(try reader.subtree(namespace: "primary", key: "job.2") == nil)
            #expect(try reader.subtree(namespace: "other", key: "job.1") == nil)
            try Self.commit(&ns, db, [.unlink("job.1", recursive: true)])
            #expect(try reader.subtree(namespace: "primary", key: "job.1") == nil)
        }
    }

    @Test func removedAndReplacedSubtrees() throws {
        let dir = try TempDir()
        let path = dir.file("kvs.sqlite")
        var ns = KVSNamespace(name: "primary", owner: 0)
        let db = try KVSDatabase(path: path)
        try Self.commit(&ns, db, [.put("a.b.c", 1), .put("a.b.d.e", 2), .put("a.bx", 3), .put("a.b_c", 4),
                                  .put("a.b%", 5), .put("a.b-c", 6), .put("a.b/c", 7), .put("q.r", 8)])
        try Self.commit(&ns, db, [.unlink("a.b", recursive: true)])
        #expect(try KVSDatabase(path: path).load() == [ns])
        try Self.commit(&ns, db, [.put("a.b.z", 1), .put("q", "value over a directory")])
        #expect(try KVSDatabase(path: path).load() == [ns])
        try Self.commit(&ns, db, [.put("q.deep.er", 1), .mkdir("a"), .put("a.new", true)])  // value in the way, dir replaced
        #expect(try KVSDatabase(path: path).load() == [ns])
        // Same commit writes then removes, and removes then writes.
        try Self.commit(&ns, db, [.put("t.u.v", 1), .unlink("t", recursive: true), .put("t.w", 2),
                                  .unlink("a.new", recursive: false), .put("a.new.x", 3)])
        #expect(try KVSDatabase(path: path).load() == [ns])
        // No rows are left below removed keys.
        let rows = try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT key FROM entries ORDER BY key")
        }
        #expect(rows == ["a", "a.new", "a.new.x", "q", "q.deep", "q.deep.er", "t", "t.w"])
    }

    @Test func namespaces() throws {
        let dir = try TempDir()
        let path = dir.file("kvs.sqlite")
        let db = try KVSDatabase(path: path)
        try db.createNamespace("user-1", owner: 501)
        #expect(throws: ServiceError(EEXIST, "namespace user-1 already exists")) {
            try db.createNamespace("user-1", owner: 501)
        }
        var user = KVSNamespace(name: "user-1", owner: 501)
        var primary = KVSNamespace(name: "primary", owner: 0)
        try Self.commit(&user, db, [.put("x", 1)])
        try Self.commit(&primary, db, [.put("x", 2), .put("y", 3)])
        #expect(try KVSDatabase(path: path).load() == [primary, user])
        try db.removeNamespace("user-1")
        #expect(throws: ServiceError(ENOENT, "namespace user-1 not found")) { try db.removeNamespace("user-1") }
        #expect(try KVSDatabase(path: path).load() == [primary])
        try db.createNamespace("user-1", owner: 502)  // comes back empty
        #expect(try KVSDatabase(path: path).load() == [primary, KVSNamespace(name: "user-1", owner: 502)])
    }

    @Test func garbageFileIsRefusedAndLeftAlone() throws {
        let dir = try TempDir()
        let path = dir.file("kvs.sqlite")
        let garbage = Data(repeating: 0x41, count: 4096)
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect(throws: ServiceError(EINVAL, "\(path): not a fluxs KVS database (file is not a database)")) {
            try KVSDatabase(path: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func foreignSQLiteFileIsRefusedAndLeftAlone() throws {
        let dir = try TempDir()
        let path = dir.file("other.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE player(name TEXT); INSERT INTO player VALUES('x')")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: ServiceError(EINVAL, "\(path): not a fluxs KVS database (no fluxs_meta table)")) {
            try KVSDatabase(path: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE fluxs_meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO fluxs_meta VALUES('format', 'fluxs-kvs 99')")
        }
        #expect(throws: ServiceError(EINVAL, "\(path): not a fluxs KVS database (format 'fluxs-kvs 99', expected 'fluxs-kvs 1')")) {
            try KVSDatabase(path: path)
        }
    }

    @Test func unopenablePathIsAnError() throws {
        #expect(throws: ServiceError.self) { try KVSDatabase(path: "/nonexistent-dir-fluxs/kvs.sqlite") }
    }

    @Test func tenThousandCommitsReopenIntact() throws {
        let dir = try TempDir()
        let path = dir.file("kvs.sqlite")
        var ns = KVSNamespace(name: "primary", owner: 0)
        do {
            let db = try KVSDatabase(path: path)
            for i in 0..<10_000 {
                let job = "job.\(i % 97)"
                var ops: [KVSOperation] = [.append(job + ".eventlog", "{\"seq\":\(i)}\n"), .put("counter", .int(Int64(i)))]
                if i % 10 == 3 { ops.append(.put(job + ".R", ["rank": .int(Int64(i))])) }
                if i % 500 == 499 { ops.append(.unlink("job.\((i / 500) % 97)", recursive: true)) }
                try Self.commit(&ns, db, ops)
            }
        }
        let loaded = try KVSDatabase(path: path).load()
        #expect(loaded == [ns])
        #expect(loaded.first?.version == 10_000)
        #expect(try loaded.first?.get("counter") == 9999)
    }
}
