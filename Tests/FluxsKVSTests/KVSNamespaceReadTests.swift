// Reads: key components, entry/get/lookup with the spec's error wordings, and the JSON
// forms of entries and ops.
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
import Glibc
import Testing

struct KVSNamespaceReadTests {
    static func sample() throws -> KVSNamespace {
        var ns = KVSNamespace(name: "primary", owner: 1000)
        _ = try ns.commit([.put("a.b", 1), .put("a.c.d", "x"), .mkdir("e"), .put("top", [1, 2])])
        return ns
    }

    @Test func components() throws {
        #expect(try KVSNamespace.components(".") == [])
        #expect(try KVSNamespace.components("a") == ["a"])
        #expect(try KVSNamespace.components("a.b.c") == ["a", "b", "c"])
        #expect(try KVSNamespace.components("ƒ.ü-x_1") == ["ƒ", "ü-x_1"])
        let deepest = Array(repeating: "d", count: KVSNamespace.maximumDepth)
        #expect(try KVSNamespace.components(deepest.joined(separator: ".")) == deepest)
    }

    /// Trees are walked recursively: a key deeper than the limit is refused before any
    /// walk (a guest's key of 100,000 components once overflowed the broker's stack).
    @Test func tooDeepKeys() {
        let key = Array(repeating: "d", count: KVSNamespace.maximumDepth + 1).joined(separator: ".")
        #expect(throws: ServiceError(EINVAL, "invalid key \"\(key.prefix(60))...(\(key.utf8.count) bytes)\": more than 256 components")) {
            try KVSNamespace.components(key)
        }
        let huge = Array(repeating: "d", count: 100_000).joined(separator: ".")
        #expect(throws: ServiceError.self) { try KVSNamespace.components(huge) }
    }

    @Test(arguments: [
        ("", "invalid key \"\": empty key"),
        ("a..b", "invalid key \"a..b\": empty component"),
        (".a", "invalid key \".a\": empty component"),
        ("a.", "invalid key \"a.\": empty component"),
        ("..", "invalid key \"..\": empty component"),
        ("a b", "invalid key \"a b\": whitespace"),
        ("a\tb", "invalid key \"a\tb\": whitespace"),
        ("a.b\n", "invalid key \"a.b\n\": whitespace"),
        ("a\u{00A0}b", "invalid key \"a\u{00A0}b\": whitespace"),
    ])
    func badKeys(key: String, message: String) {
        #expect(throws: ServiceError(EINVAL, message)) { try KVSNamespace.components(key) }
    }

    @Test func getValues() throws {
        let ns = try Self.sample()
        #expect(try ns.get("a.b") == 1)
        #expect(try ns.get("a.c.d") == "x")
        #expect(try ns.get("top") == [1, 2])
        #expect(ns.version == 1)
    }

    @Test func getErrors() throws {
        let ns = try Self.sample()
        #expect(throws: ServiceError(ENOENT, "key a.z not found")) { try ns.get("a.z") }
        #expect(throws: ServiceError(ENOENT, "key zz.y not found")) { try ns.get("zz.y") }
        #expect(throws: ServiceError(EISDIR, "a.c is a directory")) { try ns.get("a.c") }
        #expect(throws: ServiceError(EISDIR, ". is a directory")) { try ns.get(".") }
        #expect(throws: ServiceError(ENOTDIR, "a.b is not a directory")) { try ns.get("a.b.q") }
        #expect(throws: ServiceError(ENOTDIR, "top is not a directory")) { try ns.get("top.x.y") }
        #expect(throws: ServiceError(EINVAL, "invalid key \"a..b\": empty component")) { try ns.get("a..b") }
    }

    @Test func lookupDirectories() throws {
        let ns = try Self.sample()
        #expect(try ns.lookup("a.c") == .directory(["d": .value("x")]))
        #expect(try ns.lookup("e") == .directory([:]))
        #expect(try ns.lookup(".") == .directory(ns.root))
        #expect(Set(ns.root.keys) == ["a", "e", "top"])
        #expect(throws: ServiceError(ENOTDIR, "a.b is not a directory")) { try ns.lookup("a.b") }
        #expect(throws: ServiceError(ENOENT, "key nope not found")) { try ns.lookup("nope") }
        #expect(throws: ServiceError(ENOTDIR, "top is not a directory")) { try ns.lookup("top.x") }
    }

    @Test func entryAt() throws {
        let ns = try Self.sample()
        #expect(try ns.entry(at: "a.b") == .value(1))
        #expect(try ns.entry(at: "a.q") == nil)
        #expect(try ns.entry(at: "q.r.s") == nil)
        #expect(throws: ServiceError(ENOTDIR, "a.b is not a directory")) { try ns.entry(at: "a.b.c") }
    }

    @Test func entryJSON() throws {
        let ns = try Self.sample()
        let json = try ns.lookup("a").json
        #expect(json == ["dir": ["b": ["value": 1], "c": ["dir": ["d": ["value": "x"]]]]])
        #expect(try KVSEntry(json: json) == ns.lookup("a"))
        #expect(KVSEntry.value(.null).json == ["value": nil])
        #expect(throws: ServiceError.self) { try KVSEntry(json: ["dir": 3]) }
        #expect(throws: ServiceError.self) { try KVSEntry(json: [:]) }
        #expect(throws: ServiceError.self) { try KVSEntry(json: "x") }
    }

    @Test func operationJSON() throws {
        let ops: [KVSOperation] = [.put("a", ["x": nil]), .append("log", "e\n"), .unlink("a", recursive: true),
                                   .unlink("b", recursive: false), .mkdir("d")]
        for op in ops { #expect(try KVSOperation(json: op.json) == op) }
        #expect(try KVSOperation(json: ["op": "unlink", "key": "k"]) == .unlink("k", recursive: false))
        #expect(try KVSOperation(json: ["op": "put", "key": "k", "value": nil]) == .put("k", .null))
    }

    static let badOps: [(JSONValue, Int32, String)] = [
        ([] as JSONValue, EPROTO, "malformed commit op: expected an object, got array"),
        (["key": "a"] as JSONValue, EPROTO, "malformed commit op: \"op\" must be a string"),
        (["op": "put", "value": 1] as JSONValue, EPROTO, "malformed commit op: \"key\" must be a string"),
        (["op": "put", "key": "a"] as JSONValue, EPROTO, "malformed commit op: put needs \"value\""),
        (["op": "append", "key": "a", "value": 1] as JSONValue, EPROTO, "malformed commit op: append needs a string \"value\""),
        (["op": "unlink", "key": "a", "recursive": 1] as JSONValue, EPROTO, "malformed commit op: \"recursive\" must be a boolean"),
        (["op": "rename", "key": "a"] as JSONValue, EINVAL, "unknown commit op \"rename\""),
    ]

    @Test(arguments: badOps)
    func badOperations(json: JSONValue, errnum: Int32, message: String) {
        #expect(throws: ServiceError(errnum, message)) { try KVSOperation(json: json) }
    }

    /// detach and attach move a subtree out and back without a commit: the version
    /// stays, the tree is as before, the emptied parent stays.
    @Test func detachAndAttach() throws {
        var ns = try Self.sample()
        let before = ns
        let taken = try #require(try ns.detach("a.c"))
        #expect(taken == .directory(["d": .value("x")]))
        #expect(try ns.entry(at: "a.c") == nil)
        #expect(ns.version == before.version)
        #expect(try ns.detach("a.c") == nil)
        #expect(try ns.detach("no.such") == nil)
        try ns.attach(taken, at: "a.c")
        #expect(ns == before)
        _ = try ns.detach("e")
        try ns.attach(.directory(["f": .value(1)]), at: "x.y")
        #expect(try ns.get("x.y.f") == 1)
        #expect(throws: ServiceError.self) { try ns.attach(.value(1), at: ".") }
    }
}
