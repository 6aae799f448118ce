// Commits: every op, replacement rules, errors with exact messages, all-or-nothing
// atomicity, versions, changes and affects(), and 1,000-key commits.
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
import Glibc
import Testing

struct KVSCommitTests {
    @Test func putCreatesParentsAndReplaces() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        let c = try ns.commit([.put("a.b.c", 1)])
        #expect(c.version == 1)
        #expect(c.changes == [.set(key: "a.b.c", .value(1))])
        #expect(try ns.lookup("a") == .directory(["b": .directory(["c": .value(1)])]))
        _ = try ns.commit([.put("a.b", "over")])           // a directory replaced by a value
        #expect(try ns.get("a.b") == "over")
        _ = try ns.commit([.put("a.b.x", true)])            // a value in the way becomes a directory
        #expect(try ns.lookup("a.b") == .directory(["x": .value(true)]))
        #expect(ns.version == 3)
    }

    @Test func mkdirMakesAnEmptyDirectory() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        let c = try ns.commit([.mkdir("d.e"), .put("d.e.f", 1), .mkdir("g")])
        #expect(c.changes == [.set(key: "d.e", .directory([:])), .set(key: "d.e.f", .value(1)),
                              .set(key: "g", .directory([:]))])
        #expect(try ns.lookup("g") == .directory([:]))
        _ = try ns.commit([.mkdir("d.e")])                  // as flux-core: replaced by an empty directory
        #expect(try ns.lookup("d.e") == .directory([:]))
    }

    @Test func appendCreatesAndExtends() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        let c1 = try ns.commit([.append("job.log", "a\n")])
        // An append is its own change: what was appended, and the whole value now.
        #expect(c1.changes == [.appended(key: "job.log", text: "a\n", full: "a\n")])
        let c2 = try ns.commit([.append("job.log", "b\n"), .append("job.log", "c\n")])
        #expect(try ns.get("job.log") == "a\nb\nc\n")
        #expect(c2.changes == [.appended(key: "job.log", text: "b\n", full: "a\nb\n"),
                               .appended(key: "job.log", text: "c\n", full: "a\nb\nc\n")])
    }

    @Test func appendErrors() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        _ = try ns.commit([.put("a.b", 5), .mkdir("d")])
        #expect(throws: ServiceError(EINVAL, "a.b is not a string")) { try ns.commit([.append("a.b", "x")]) }
        #expect(throws: ServiceError(EISDIR, "d is a directory")) { try ns.commit([.append("d", "x")]) }
        #expect(ns.version == 1)
    }

    @Test func unlink() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        _ = try ns.commit([.put("a.b", 1), .put("a.c", 2), .mkdir("e")])
        let c = try ns.commit([.unlink("a.b", recursive: false), .unlink("e", recursive: false)])
        #expect(c.changes == [.removed(key: "a.b"), .removed(key: "e")])
        #expect(try ns.lookup("a") == .directory(["c": .value(2)]))
        #expect(throws: ServiceError(ENOTEMPTY, "a is not empty (unlink it recursively)")) {
            try ns.commit([.unlink("a", recursive: false)])
        }
        _ = try ns.commit([.unlink("a", recursive: true)])
        #expect(ns.root.isEmpty)
    }

    @Test func unlinkErrors() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        _ = try ns.commit([.put("a.b", 1)])
        #expect(throws: ServiceError(ENOENT, "key a.x not found")) { try ns.commit([.unlink("a.x", recursive: false)]) }
        #expect(throws: ServiceError(ENOENT, "key q.r.s not found")) { try ns.commit([.unlink("q.r.s", recursive: true)]) }
        #expect(throws: ServiceError(ENOTDIR, "a.b is not a directory")) {
            try ns.commit([.unlink("a.b.c", recursive: false)])
        }
        #expect(throws: ServiceError(EINVAL, "cannot unlink the root directory")) {
            try ns.commit([.unlink(".", recursive: true)])
        }
        #expect(throws: ServiceError(EINVAL, "cannot put the root directory")) { try ns.commit([.put(".", 1)]) }
        #expect(throws: ServiceError(EINVAL, "cannot mkdir the root directory")) { try ns.commit([.mkdir(".")]) }
        #expect(throws: ServiceError(EINVAL, "cannot append to the root directory")) { try ns.commit([.append(".", "")]) }
        #expect(throws: ServiceError(EINVAL, "invalid key \"a b\": whitespace")) { try ns.commit([.put("a b", 1)]) }
        #expect(ns.version == 1)
    }

    @Test func failedCommitChangesNothing() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        _ = try ns.commit([.put("a.b", 1), .put("s", "x"), .mkdir("full"), .put("full.k", 1), .put("v", 7)])
        let before = ns.root
        // Every kind of op succeeds first, then one fails: nothing of it may stay.
        let ops: [KVSOperation] = [
            .put("a.b", 2), .put("new.deep.key", 3), .append("s", "yz"), .append("t.u", "new"),
            .unlink("full", recursive: true), .mkdir("a"), .put("v.w", 1), .put("a.b.c", 4),
            .append("s", "more"), .unlink("missing", recursive: false),
        ]
        #expect(throws: ServiceError(ENOENT, "key missing not found")) { try ns.commit(ops) }
        #expect(ns.root == before)
        #expect(ns.version == 1)
        // The first error wins.
        #expect(throws: ServiceError(EINVAL, "v is not a string")) {
            try ns.commit([.put("x", 1), .append("v", "a"), .unlink("missing", recursive: false)])
        }
        #expect(ns.root == before)
        // An empty commit still makes a version.
        #expect(try ns.commit([]).version == 2)
    }

    @Test func failedCommitLeavesCopiesAlone() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        _ = try ns.commit([.put("a.b", 1), .append("log", "x")])
        let snapshot = ns
        _ = try ns.commit([.put("a.c", 2), .append("log", "y")])
        #expect(snapshot.root == ["a": .directory(["b": .value(1)]), "log": .value("x")])
        #expect(try ns.get("log") == "xy")
    }

    @Test func affects() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        let c = try ns.commit([.put("a.b.c", 1), .unlink("a.b.c", recursive: false), .put("job.1.log", "x")])
        #expect(c.affects("a.b.c"))        // at the key
        #expect(c.affects("a"))            // below
        #expect(c.affects("a.b.c.d"))      // above: an ancestor written
        #expect(c.affects("job.1"))
        #expect(c.affects("."))
        #expect(!c.affects("a.bb"))
        #expect(!c.affects("a.b.cd"))
        #expect(!c.affects("ab"))
        #expect(!c.affects("job.10"))
        #expect(!c.affects("job.1x.log"))
        #expect(!c.affects("x"))
        #expect(!(try ns.commit([])).affects("."))
    }

    @Test func versionsCount() throws {
        var ns = KVSNamespace(name: "x", owner: 5, version: 41)
        for i in 1...10 { #expect(try ns.commit([.put("k", .int(Int64(i)))]).version == 41 + i) }
        #expect(ns.version == 51)
        #expect(try ns.get("k") == 10)
    }

    @Test func thousandKeysInOneCommit() throws {
        var ns = KVSNamespace(name: "primary", owner: 0)
        let ops = (0..<1000).map { KVSOperation.put("dir.k\($0)", .int(Int64($0))) }
        let c = try ns.commit(ops)
        #expect(c.changes.count == 1000)
        #expect(try ns.lookup("dir").directory?.count == 1000)
        #expect(try ns.get("dir.k999") == 999)
        #expect(c.affects("dir") && c.affects("dir.k5") && !c.affects("dir2"))
        // Again, with a failure at the end: all 1,000 are taken back.
        let before = ns.root
        #expect(throws: ServiceError.self) {
            try ns.commit((0..<1000).map { KVSOperation.put("dir.k\($0)", "new") } + [.unlink("nope", recursive: false)])
        }
        #expect(ns.root == before)
    }

    @Test func rebuildFromFlatRows() throws {
        let ns = try KVSNamespace(name: "n", owner: 3, version: 9, flatEntries: [
            (key: "a.b.c", entry: .value(1)), (key: "a", entry: .directory([:])), (key: "a.b", entry: .directory([:])),
            (key: "e", entry: .directory([:])), (key: "v", entry: .value("s")),
        ])
        #expect(ns.version == 9 && ns.owner == 3 && ns.name == "n")
        #expect(ns.root == ["a": .directory(["b": .directory(["c": .value(1)])]), "e": .directory([:]), "v": .value("s")])
    }
}
