// The kvs module alone in an EmbeddedModuleHost: commits (put, append, unlink, mkdir)
// then reads with the version; reads and version waits answered once a commit makes
// them true; watches streaming a response per change until unwatched; fences; the
// namespaces; disconnect notices; malformed requests; what a guest may read and write
// (its own jobs only, a job's owner being what the instance owner's commits say in
// "owners"); and, with a statedir, commits that survive unloading and loading again.
#if canImport(Foundation)
import Foundation
#endif
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import KVSModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct KVSServiceTests {
    /// A host with the kvs module loaded (in memory unless `attributes` has a statedir).
    static func kvs(_ attributes: [String: String] = [:]) throws -> EmbeddedModuleHost {
        let host = try EmbeddedModuleHost(attributes: attributes)
        try host.load(KVSModule.self)
        return host
    }

    /// The payload of a kvs.commit of `ops`.
    static func commit(_ ops: [KVSOperation], namespace: String? = nil) -> JSONValue {
        KVSCommitRequest(ops, namespace: namespace).json
    }

    /// Commits `ops` as the owner and expects success; returns the new version.
    @discardableResult
    static func commitOK(_ host: EmbeddedModuleHost, _ ops: [KVSOperation], namespace: String? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) -> Int64? {
        let tag = host.request(.kvs.commit, commit(ops, namespace: namespace))
        #expect(host.error(of: tag) == nil, sourceLocation: sourceLocation)
        return host.answer(to: tag)?["version"]?.intValue
    }

    /// The errno of the last answer to `tag` (0 for a success, -1 for no answer).
    static func errnum(_ host: EmbeddedModuleHost, _ tag: UInt32) -> Int32 {
        guard let last = host.answers(to: tag).last else { return -1 }
        return last.errnum
    }

    // MARK: - Commits, then reads

    /// Commits applied in order, then one read: the whole answer expected, or an errno.
    struct ReadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var commits: [[KVSOperation]]
        var method: ServiceMethod = .kvs.get
        var key: String
        var answer: JSONValue?
        var errnum: Int32 = 0
        var testDescription: String { name }
    }

    static let readCases: [ReadCase] = [
        ReadCase(name: "put then get", commits: [[.put("a.b", 42)]], key: "a.b", answer: ["value": 42, "version": 1]),
        ReadCase(name: "a put replaces", commits: [[.put("a", "x")], [.put("a", ["y": true])]], key: "a",
                 answer: ["value": ["y": true], "version": 2]),
        ReadCase(name: "append creates then appends", commits: [[.append("s", "ab")], [.append("s", "cd")]], key: "s",
                 answer: ["value": "abcd", "version": 2]),
        ReadCase(name: "several ops are one commit", commits: [[.put("a", 1), .append("a2", "z"), .put("b.c", 2)]],
                 key: "b.c", answer: ["value": 2, "version": 1]),
        ReadCase(name: "unlink removes", commits: [[.put("a", 1)], [.unlink("a", recursive: false)]], key: "a",
                 errnum: ENOENT),
        ReadCase(name: "recursive unlink of a directory", commits: [[.put("d.e.f", 1)], [.unlink("d", recursive: true)]],
                 method: .kvs.lookup, key: "d", errnum: ENOENT),
        ReadCase(name: "mkdir then lookup", commits: [[.mkdir("d")]], method: .kvs.lookup, key: "d",
                 answer: ["dir": [:], "version": 1]),
        ReadCase(name: "lookup of a directory gives its subtree", commits: [[.put("d.x", 1)], [.mkdir("d.e")]],
                 method: .kvs.lookup, key: "d",
                 answer: ["dir": ["x": ["value": 1], "e": ["dir": [:]]], "version": 2]),
        ReadCase(name: "mkdir replaces a value", commits: [[.put("d", 1)], [.mkdir("d")]], key: "d", errnum: EISDIR),
        ReadCase(name: "get of a directory", commits: [[.put("d.x", 1)]], key: "d", errnum: EISDIR),
        ReadCase(name: "lookup of a value", commits: [[.put("v", 1)]], method: .kvs.lookup, key: "v", errnum: ENOTDIR),
        ReadCase(name: "get of a missing key", commits: [], key: "nope", errnum: ENOENT),
        ReadCase(name: "a failed commit changes nothing",
                 commits: [[.put("a", 1)], [.put("a", 2), .unlink("missing", recursive: false)]], key: "a",
                 answer: ["value": 1, "version": 1]),
        ReadCase(name: "append to a non-string fails whole", commits: [[.put("n", 5)], [.put("m", 1), .append("n", "x")]],
                 key: "m", errnum: ENOENT),
        ReadCase(name: "unlink of a non-empty directory needs recursive",
                 commits: [[.put("d.x", 1)], [.unlink("d", recursive: false)]], key: "d.x",
                 answer: ["value": 1, "version": 1]),
    ]

    @Test(arguments: readCases) func commitsThenRead(_ c: ReadCase) throws {
        let host = try Self.kvs()
        for ops in c.commits { host.request(.kvs.commit, Self.commit(ops)) }
        let tag = host.request(c.method, ["key": .string(c.key)])
        #expect(host.answers(to: tag).count == 1)
        #expect(Self.errnum(host, tag) == c.errnum)
        if let answer = c.answer { #expect(host.answer(to: tag) == answer) }
    }

    @Test func commitsAreAnsweredWithTheirVersion() throws {
        let host = try Self.kvs()
        #expect(Self.commitOK(host, [.put("a", 1)]) == 1)
        #expect(Self.commitOK(host, [.put("b", 2)]) == 2)
        let failed = host.request(.kvs.commit, Self.commit([.unlink("nope", recursive: false)]))
        #expect(host.error(of: failed)?.errnum == ENOENT)
        let version = host.request(.kvs.version)
        #expect(host.answer(to: version) == ["version": 2])
    }

    // MARK: - Waits

    /// A request that waits, the commits that follow it, and after which of them
    /// (1-based) it is answered, with what.
    struct WaitCase: CustomTestStringConvertible, Sendable {
        var name: String
        var method: ServiceMethod
        var payload: JSONValue
        var commits: [[KVSOperation]]
        var answeredAfter: Int
        var answer: JSONValue
        var testDescription: String { name }
    }

    static let waitCases: [WaitCase] = [
        WaitCase(name: "get with waitcreate, once the key exists", method: .kvs.get,
                 payload: ["key": "x", "waitcreate": true], commits: [[.put("y", 1)], [.put("x", "here")], [.put("x", 2)]],
                 answeredAfter: 2, answer: ["value": "here", "version": 2]),
        WaitCase(name: "get at a later version", method: .kvs.get, payload: ["key": "x", "version": 2],
                 commits: [[.put("x", 1)], [.put("x", 2)]], answeredAfter: 2, answer: ["value": 2, "version": 2]),
        WaitCase(name: "lookup at a later version", method: .kvs.lookup, payload: ["key": "d", "version": 1],
                 commits: [[.mkdir("d")]], answeredAfter: 1, answer: ["dir": [:], "version": 1]),
        WaitCase(name: "wait-version", method: .kvs.waitVersion, payload: ["version": 3],
                 commits: [[.put("a", 1)], [.put("a", 2)], [.put("a", 3)], [.put("a", 4)]], answeredAfter: 3,
                 answer: ["version": 3]),
        WaitCase(name: "wait-version already reached", method: .kvs.waitVersion, payload: ["version": 0],
                 commits: [], answeredAfter: 0, answer: ["version": 0]),
        WaitCase(name: "waitcreate for a directory", method: .kvs.get, payload: ["key": "d.e", "waitcreate": true],
                 commits: [[.put("d.f", 1)], [.put("d.e", true)]], answeredAfter: 2, answer: ["value": true, "version": 2]),
    ]

    @Test(arguments: waitCases) func waitsAreAnsweredWhenACommitMakesThemTrue(_ c: WaitCase) throws {
        let host = try Self.kvs()
        let tag = host.request(c.method, c.payload)
        #expect(host.answers(to: tag).count == (c.answeredAfter == 0 ? 1 : 0))
        for (i, ops) in c.commits.enumerated() {
            Self.commitOK(host, ops)
            #expect(host.answers(to: tag).count == (i + 1 >= c.answeredAfter ? 1 : 0), "after commit \(i + 1)")
        }
        #expect(host.answer(to: tag) == c.answer)
    }

    // MARK: - Watches

    /// In append mode a watch sends the whole value once, then only what each commit
    /// appends (job output of any size in linear time); a rewrite ends it with EINVAL.
    @Test func anAppendWatchSendsOnlyWhatWasAppended() throws {
        let host = try Self.kvs()
        let watch = host.request(.kvs.watch, ["key": "log", "append": true], flags: .streaming)
        #expect(host.answer(to: watch) == ["missing": true, "version": 0])
        Self.commitOK(host, [.append("log", "a\n")])
        #expect(host.answer(to: watch) == ["value": "a\n", "version": 1])
        Self.commitOK(host, [.append("log", "b\n"), .append("log", "c\n")])
        #expect(host.answer(to: watch) == ["value": "b\nc\n", "version": 2])
        Self.commitOK(host, [.put("other", 1)])
        #expect(host.answers(to: watch).count == 3)
        // A watch that starts late gets the whole log first, then the tail.
        let late = host.request(.kvs.watch, ["key": "log", "append": true], flags: .streaming)
        #expect(host.answer(to: late) == ["value": "a\nb\nc\n", "version": 3])
        Self.commitOK(host, [.append("log", "d\n")])
        #expect(host.answer(to: late) == ["value": "d\n", "version": 4])
        #expect(host.answer(to: watch) == ["value": "d\n", "version": 4])
        Self.commitOK(host, [.put("log", "new\n")])
        #expect(host.error(of: watch)?.errnum == EINVAL)
        #expect(host.error(of: watch)?.message == "log was rewritten, not appended to (kvs.watch append)")
        #expect(host.error(of: late)?.errnum == EINVAL)
        Self.commitOK(host, [.append("log", "e\n")])
        #expect(host.answers(to: watch).count == 5)
    }

    @Test func aWatchStreamsAResponsePerChangeUntilUnwatched() throws {
        let host = try Self.kvs()
        let watch = host.request(.kvs.watch, ["key": "w"], flags: .streaming)
        #expect(host.answer(to: watch) == ["missing": true, "version": 0])
        Self.commitOK(host, [.put("w", 1)])
        #expect(host.answer(to: watch) == ["value": 1, "version": 1])
        Self.commitOK(host, [.put("other", 1)])  // not the watched key: nothing
        #expect(host.answers(to: watch).count == 2)
        Self.commitOK(host, [.append("w2", "x")])  // a key that merely starts the same: nothing
        #expect(host.answers(to: watch).count == 2)
        Self.commitOK(host, [.unlink("w", recursive: false)])
        #expect(host.answer(to: watch) == ["missing": true, "version": 4])

        let unwatch = host.request(.kvs.unwatch, ["matchtag": .int(Int64(watch))])
        #expect(host.answer(to: unwatch) == [:])
        #expect(host.error(of: watch)?.errnum == ENODATA)
        let count = host.answers(to: watch).count
        Self.commitOK(host, [.put("w", 2)])
        #expect(host.answers(to: watch).count == count)
        // Unwatching again is no error, and ends nothing more.
        let again = host.request(.kvs.unwatch, ["matchtag": .int(Int64(watch))])
        #expect(host.answer(to: again) == [:])
        #expect(host.answers(to: watch).count == count)
    }

    @Test func aWatchOfADirectorySeesChangesBelowIt() throws {
        let host = try Self.kvs()
        Self.commitOK(host, [.mkdir("d")])
        let watch = host.request(.kvs.watch, ["key": "d"], flags: .streaming)
        #expect(host.answer(to: watch) == ["dir": [:], "version": 1])
        Self.commitOK(host, [.put("d.x", 7)])
        #expect(host.answer(to: watch) == ["dir": ["x": ["value": 7]], "version": 2])
        Self.commitOK(host, [.put("e", 1)])
        #expect(host.answers(to: watch).count == 2)
    }

    @Test func unwatchEndsOnlyTheWatchItNames() throws {
        let host = try Self.kvs()
        let first = host.request(.kvs.watch, ["key": "a"], flags: .streaming)
        let second = host.request(.kvs.watch, ["key": "a"], flags: .streaming)
        host.request(.kvs.unwatch, ["matchtag": .int(Int64(first))])
        Self.commitOK(host, [.put("a", 1)])
        #expect(host.error(of: first)?.errnum == ENODATA)
        #expect(host.answer(to: second) == ["value": 1, "version": 1])
    }

    // MARK: - Fences

    @Test func twoCommitsOfAFenceApplyAndAreAnsweredTogether() throws {
        let host = try Self.kvs()
        var first = Self.commit([.put("f.a", 1)])
        first = .object(first.objectValue!.merging(["fence": ["name": "f1", "nprocs": 2]]) { $1 })
        var second = Self.commit([.put("f.b", 2)])
        second = .object(second.objectValue!.merging(["fence": ["name": "f1", "nprocs": 2]]) { $1 })

        let one = host.request(.kvs.commit, first)
        #expect(host.answers(to: one).isEmpty)
        #expect(host.answer(to: host.request(.kvs.version)) == ["version": 0])
        let get = host.request(.kvs.get, ["key": "f.a"])
        #expect(host.error(of: get)?.errnum == ENOENT)

        let two = host.request(.kvs.commit, second)
        #expect(host.answer(to: one) == ["version": 1])
        #expect(host.answer(to: two) == ["version": 1])
        #expect(host.answer(to: host.request(.kvs.lookup, ["key": "f"])) ==
            ["dir": ["a": ["value": 1], "b": ["value": 2]], "version": 1])
    }

    @Test func aFenceNamedAgainWithOtherNprocsIsRefused() throws {
        let host = try Self.kvs()
        let one = host.request(.kvs.commit, ["ops": [], "fence": ["name": "f", "nprocs": 3]])
        let two = host.request(.kvs.commit, ["ops": [], "fence": ["name": "f", "nprocs": 2]])
        #expect(host.answers(to: one).isEmpty)
        #expect(host.error(of: two)?.errnum == EINVAL)
        #expect(host.error(of: two)?.message.contains("nprocs 3") == true)
    }

    // MARK: - Namespaces

    @Test func namespacesAreCreatedListedUsedAndRemoved() throws {
        let host = try Self.kvs()
        let create = host.request(.kvs.namespaceCreate, ["name": "ns1", "owner": 4242])
        #expect(host.answer(to: create) == [:])
        #expect(host.error(of: host.request(.kvs.namespaceCreate, ["name": "ns1"]))?.errnum == EEXIST)
        #expect(host.error(of: host.request(.kvs.namespaceCreate, ["name": "a b"]))?.errnum == EINVAL)

        #expect(Self.commitOK(host, [.put("k", "in ns1")], namespace: "ns1") == 1)
        let list = host.request(.kvs.namespaceList)
        #expect(host.answer(to: list) == [
            ["name": "ns1", "owner": 4242, "version": 1],
            ["name": "primary", "owner": .int(Int64(getuid())), "version": 0],
        ])
        #expect(host.answer(to: host.request(.kvs.get, ["key": "k", "namespace": "ns1"])) == ["value": "in ns1", "version": 1])
        #expect(host.error(of: host.request(.kvs.get, ["key": "k"]))?.errnum == ENOENT)
        #expect(host.answer(to: host.request(.kvs.version, ["namespace": "ns1"])) == ["version": 1])

        // Removing it ends its watches and waits.
        let watch = host.request(.kvs.watch, ["key": "k", "namespace": "ns1"], flags: .streaming)
        let wait = host.request(.kvs.waitVersion, ["version": 9, "namespace": "ns1"])
        let remove = host.request(.kvs.namespaceRemove, ["name": "ns1"])
        #expect(host.answer(to: remove) == [:])
        #expect(host.error(of: watch)?.errnum == ENODATA)
        #expect(host.error(of: wait)?.errnum == ENOENT)
        #expect(host.answer(to: host.request(.kvs.namespaceList))?.arrayValue?.count == 1)
        #expect(host.error(of: host.request(.kvs.get, ["key": "k", "namespace": "ns1"]))?.errnum == ENOENT)
        #expect(host.error(of: host.request(.kvs.commit, Self.commit([.put("k", 1)], namespace: "ns1")))?.errnum == ENOENT)
        #expect(host.error(of: host.request(.kvs.namespaceRemove, ["name": "ns1"]))?.errnum == ENOENT)
        #expect(host.error(of: host.request(.kvs.namespaceRemove, ["name": "primary"]))?.errnum == EINVAL)
    }

    // MARK: - Disconnect

    @Test func disconnectDropsTheClientsWatchesAndWaits() throws {
        let host = try Self.kvs()
        let watch = host.request(.kvs.watch, ["key": "a"], flags: .streaming)
        let wait = host.request(.kvs.get, ["key": "b", "waitcreate": true])
        let notice = host.request(.kvs.disconnect)
        #expect(host.answers(to: notice).isEmpty)  // a notice is never answered
        #expect(host.error(of: watch)?.errnum == ECONNRESET)
        #expect(host.error(of: wait)?.errnum == ECONNRESET)
        let watchAnswers = host.answers(to: watch).count
        Self.commitOK(host, [.put("a", 1), .put("b", 2)])
        #expect(host.answers(to: watch).count == watchAnswers)
        #expect(host.answers(to: wait).count == 1)
    }

    // MARK: - Malformed requests

    typealias BadCase = Refusal

    static let badCases: [BadCase] = [
        BadCase(name: "get without a key", method: .kvs.get, says: "missing \"key\""),
        BadCase(name: "lookup with a key that is not a string", method: .kvs.lookup, payload: ["key": 5], says: "missing \"key\""),
        BadCase(name: "get with a bad key", method: .kvs.get, payload: ["key": "a..b"], errnum: EINVAL, says: "a..b"),
        BadCase(name: "get with a version that is not an integer", method: .kvs.get, payload: ["key": "a", "version": "x"],
                says: "\"version\" must be an integer"),
        BadCase(name: "commit without ops", method: .kvs.commit, says: "missing \"ops\""),
        BadCase(name: "commit with ops not an array", method: .kvs.commit, payload: ["ops": ["op": "put"]], says: "\"ops\" (an array)"),
        BadCase(name: "an op that is not an object", method: .kvs.commit, payload: ["ops": [3]], says: "expected an object, got"),
        BadCase(name: "an op without a key", method: .kvs.commit, payload: ["ops": [["op": "put", "value": 1]]],
                says: "\"key\" must be a string"),
        BadCase(name: "an op without op", method: .kvs.commit, payload: ["ops": [["key": "a", "value": 1]]],
                says: "\"op\" must be a string"),
        BadCase(name: "a put without a value", method: .kvs.commit, payload: ["ops": [["op": "put", "key": "a"]]],
                says: "put needs \"value\""),
        BadCase(name: "an append of a number", method: .kvs.commit, payload: ["ops": [["op": "append", "key": "a", "value": 1]]],
                says: "append needs a string"),
        BadCase(name: "an unlink with recursive not a boolean", method: .kvs.commit,
                payload: ["ops": [["op": "unlink", "key": "a", "recursive": "yes"]]], says: "\"recursive\" must be a boolean"),
        BadCase(name: "an unknown op", method: .kvs.commit, payload: ["ops": [["op": "frob", "key": "a"]]], errnum: EINVAL,
                says: "unknown commit op \"frob\""),
        BadCase(name: "a good op then a bad one", method: .kvs.commit,
                payload: ["ops": [["op": "put", "key": "a", "value": 1], ["op": "put", "key": "b"]]], says: "put needs \"value\""),
        BadCase(name: "a fence without nprocs", method: .kvs.commit, payload: ["ops": [], "fence": ["name": "f"]],
                says: "a fence needs"),
        BadCase(name: "a commit with a bad key", method: .kvs.commit, payload: ["ops": [["op": "put", "key": "a b", "value": 1]]],
                errnum: EINVAL, says: "whitespace"),
        BadCase(name: "a commit that is not JSON", method: .kvs.commit, raw: "{\"ops\": [", says: "payload is not JSON"),
        BadCase(name: "a get that is not an object", method: .kvs.get, raw: "[\"key\"]", says: "payload must be a JSON object"),
        BadCase(name: "owners not pairs", method: .kvs.commit, payload: ["ops": [], "owners": [[1]]],
                says: "\"owners\" must be a list of [job id, user id]"),
        BadCase(name: "an owner that is not a user id", method: .kvs.commit, payload: ["ops": [], "owners": [[1, -5]]],
                says: "\"owners\" must be a list"),
        BadCase(name: "a watch that is not streaming", method: .kvs.watch, payload: ["key": "a"], says: "streaming"),
        BadCase(name: "a watch without a key", method: .kvs.watch, flags: .streaming, says: "missing \"key\""),
        BadCase(name: "unwatch without a matchtag", method: .kvs.unwatch, says: "missing \"matchtag\""),
        BadCase(name: "wait-version without a version", method: .kvs.waitVersion, says: "missing \"version\""),
        BadCase(name: "namespace-create without a name", method: .kvs.namespaceCreate, errnum: EPROTO, says: "missing \"name\""),
        BadCase(name: "namespace-remove without a name", method: .kvs.namespaceRemove, says: "missing \"name\""),
        BadCase(name: "a namespace that does not exist", method: .kvs.get, payload: ["key": "a", "namespace": "nope"],
                errnum: ENOENT, says: "namespace nope not found"),
        BadCase(name: "a method kvs lacks", method: ServiceMethod("kvs.frobnicate"), errnum: ENOSYS, says: "frobnicate"),
    ]

    @Test(arguments: badCases) func malformedRequestsAreRefused(_ c: BadCase) throws {
        let host = try Self.kvs()
        let tag = host.request(c.method, c.payload, raw: c.raw.map { Array($0.utf8) }, flags: c.flags)
        #expect(host.answers(to: tag).count == 1)
        let error = try #require(host.error(of: tag))
        #expect(error.errnum == c.errnum)
        #expect(error.message.contains(c.says), "\(error.message)")
        if c.errnum == EPROTO {
            #expect(host.logs.contains { $0.level == .warning && $0.message.contains(c.method.topic) })
        }
        // Nothing was applied.
        #expect(host.answer(to: host.request(.kvs.version)) == ["version": 0])
    }

    /// kvs.commit refuses a "namespace" that is not a string; the reads take it for the
    /// primary namespace instead of refusing it (KVSModule.namespaceName).
    @Test func aNamespaceThatIsNotAStringIsRefusedByReadsToo() throws {
        let host = try Self.kvs()
        Self.commitOK(host, [.put("a", 1)])
        let commit = host.request(.kvs.commit, ["ops": [], "namespace": 5])
        #expect(host.error(of: commit)?.errnum == EPROTO)
        let get = host.request(.kvs.get, ["key": "a", "namespace": 5])
        #expect(host.error(of: get)?.errnum == EPROTO)
    }

    // MARK: - Guests

    static let guest: UInt32 = 5001
    static let otherGuest: UInt32 = 5002
    /// The guest's job, another guest's job, and a job with no eventlog.
    static let mine = JobKeys(JobID(1))
    static let theirs = JobKeys(JobID(2))
    static let nobodys = JobKeys(JobID(3))

    /// A host where the owner (as the job manager does) has committed the submit
    /// eventlogs of `mine` and `theirs`, saying that `guest` owns the one and `otherGuest`
    /// the other, and a key of each job; `nobodys` has keys but no owner.
    static func kvsWithJobs() throws -> EmbeddedModuleHost {
        let host = try kvs()
        func submit(_ userid: UInt32) -> JSONValue {
            .string(EventlogEntry(timestamp: 1, name: "submit", context: ["userid": .int(Int64(userid)), "urgency": 16]).line)
        }
        let ops: [KVSOperation] = [
            .put(mine.eventlog, submit(guest)), .put(mine.R, ["version": 1]),
            .put(theirs.eventlog, submit(otherGuest)), .put(theirs.R, ["version": 1]),
            .put(nobodys.eventlog, submit(guest)), .put(nobodys.R, ["version": 1]),
            .put("config.secret", "owner only"),
        ]
        let tag = host.request(.kvs.commit, KVSCommitRequest(ops, owners: [mine.id: guest, theirs.id: otherGuest]).json)
        #expect(host.answer(to: tag) == ["version": 1])
        return host
    }

    /// A guest's request: whether it is allowed (0) or refused (EPERM or another errno).
    struct GuestCase: CustomTestStringConvertible, Sendable {
        var name: String
        var method: ServiceMethod
        var payload: JSONValue = [:]
        var flags: MessageFlags = []
        var errnum: Int32
        var testDescription: String { name }
    }

    static let guestCases: [GuestCase] = [
        GuestCase(name: "get its job's eventlog", method: .kvs.get, payload: ["key": .string(mine.eventlog)], errnum: 0),
        GuestCase(name: "get its job's R", method: .kvs.get, payload: ["key": .string(mine.R)], errnum: 0),
        GuestCase(name: "lookup its job's directory", method: .kvs.lookup, payload: ["key": .string(mine.directory)], errnum: 0),
        GuestCase(name: "watch its job's eventlog", method: .kvs.watch, payload: ["key": .string(mine.eventlog)],
                  flags: .streaming, errnum: 0),
        GuestCase(name: "wait for its job's output", method: .kvs.get,
                  payload: ["key": .string(mine.output), "waitcreate": true], errnum: -1),
        GuestCase(name: "write its job's input", method: .kvs.commit,
                  payload: commit([.append(mine.input, "line\n")]), errnum: 0),
        GuestCase(name: "write its job's pmi keys", method: .kvs.commit,
                  payload: commit([.put(mine.key("pmi.kvs.rank0"), "addr")]), errnum: 0),
        GuestCase(name: "unwatch", method: .kvs.unwatch, payload: ["matchtag": 99], errnum: 0),
        GuestCase(name: "get another's job's eventlog", method: .kvs.get, payload: ["key": .string(theirs.eventlog)],
                  errnum: EPERM),
        GuestCase(name: "lookup another's job", method: .kvs.lookup, payload: ["key": .string(theirs.directory)], errnum: EPERM),
        GuestCase(name: "watch another's job", method: .kvs.watch, payload: ["key": .string(theirs.eventlog)],
                  flags: .streaming, errnum: EPERM),
        GuestCase(name: "get a job nobody was said to own", method: .kvs.get, payload: ["key": .string(nobodys.R)], errnum: EPERM),
        GuestCase(name: "say it owns another's job", method: .kvs.commit,
                  payload: KVSCommitRequest([], owners: [theirs.id: guest]).json, errnum: EPERM),
        GuestCase(name: "say it owns its job, with a write", method: .kvs.commit,
                  payload: KVSCommitRequest([.append(mine.input, "x")], owners: [mine.id: guest]).json, errnum: EPERM),
        GuestCase(name: "get a key outside every job", method: .kvs.get, payload: ["key": "config.secret"], errnum: EPERM),
        GuestCase(name: "lookup the root", method: .kvs.lookup, payload: ["key": "."], errnum: EPERM),
        GuestCase(name: "lookup the job directory", method: .kvs.lookup, payload: ["key": "job"], errnum: EPERM),
        GuestCase(name: "write its job's eventlog", method: .kvs.commit,
                  payload: commit([.append(mine.eventlog, "forged\n")]), errnum: EPERM),
        GuestCase(name: "write its job's R", method: .kvs.commit, payload: commit([.put(mine.R, 1)]), errnum: EPERM),
        GuestCase(name: "unlink its job's directory", method: .kvs.commit,
                  payload: commit([.unlink(mine.directory, recursive: true)]), errnum: EPERM),
        GuestCase(name: "write another's job's input", method: .kvs.commit,
                  payload: commit([.append(theirs.input, "x")]), errnum: EPERM),
        GuestCase(name: "write its own and another's job in one commit", method: .kvs.commit,
                  payload: commit([.append(mine.input, "x"), .append(theirs.input, "x")]), errnum: EPERM),
        GuestCase(name: "write a key outside every job", method: .kvs.commit, payload: commit([.put("config.secret", 1)]),
                  errnum: EPERM),
        GuestCase(name: "read its job in another namespace", method: .kvs.get,
                  payload: ["key": .string(mine.eventlog), "namespace": "other"], errnum: EPERM),
        GuestCase(name: "write its job in another namespace", method: .kvs.commit,
                  payload: commit([.append(mine.input, "x")], namespace: "other"), errnum: EPERM),
        GuestCase(name: "version", method: .kvs.version, errnum: EPERM),
        GuestCase(name: "wait-version", method: .kvs.waitVersion, payload: ["version": 1], errnum: EPERM),
        GuestCase(name: "namespace-create", method: .kvs.namespaceCreate, payload: ["name": "mine"], errnum: EPERM),
        GuestCase(name: "namespace-list", method: .kvs.namespaceList, errnum: EPERM),
        GuestCase(name: "namespace-remove", method: .kvs.namespaceRemove, payload: ["name": "other"], errnum: EPERM),
    ]

    @Test(arguments: guestCases) func guests(_ c: GuestCase) throws {
        let host = try Self.kvsWithJobs()
        #expect(host.answer(to: host.request(.kvs.namespaceCreate, ["name": "other"])) == [:])
        let tag = host.request(c.method, c.payload, userid: Self.guest, roles: .user, flags: c.flags)
        #expect(Self.errnum(host, tag) == c.errnum)
        if c.errnum == EPERM {
            // Refused whole: nothing was written.
            #expect(host.answer(to: host.request(.kvs.version)) == ["version": 1])
            #expect(host.answer(to: host.request(.kvs.namespaceList))?.arrayValue?.count == 2)
        }
    }

    @Test func aGuestReadsWhatItWrote() throws {
        let host = try Self.kvsWithJobs()
        let wait = host.request(.kvs.get, ["key": .string(Self.mine.output), "waitcreate": true],
                                userid: Self.guest, roles: .user)
        #expect(host.answers(to: wait).isEmpty)
        let write = host.request(.kvs.commit, Self.commit([.append(Self.mine.output, "hi\n")]),
                                 userid: Self.guest, roles: .user)
        #expect(host.answer(to: write) == ["version": 2])
        #expect(host.answer(to: wait) == ["value": "hi\n", "version": 2])
        // A guest with no roles at all is refused even its own job.
        let none = host.request(.kvs.get, ["key": .string(Self.mine.output)], userid: Self.guest, roles: [])
        #expect(host.error(of: none)?.errnum == EPERM)
        // Another guest may not read it.
        let other = host.request(.kvs.get, ["key": .string(Self.mine.output)], userid: Self.otherGuest, roles: .user)
        #expect(host.error(of: other)?.errnum == EPERM)
    }

    @Test func whoOwnsAJobIsTheInstanceOwnersSay() throws {
        let host = try Self.kvsWithJobs()
        let read = { host.request(.kvs.get, ["key": .string(Self.nobodys.R)], userid: Self.guest, roles: .user) }
        #expect(host.error(of: read())?.errnum == EPERM)
        // A guest claiming a job changes nothing.
        let claim = host.request(.kvs.commit, KVSCommitRequest([], owners: [Self.nobodys.id: Self.guest]).json,
                                 userid: Self.guest, roles: .user)
        #expect(host.error(of: claim)?.errnum == EPERM)
        #expect(host.error(of: read())?.errnum == EPERM)
        // The owner saying so, without ops: answered {} and no new version.
        let say = host.request(.kvs.commit, KVSCommitRequest([], owners: [Self.nobodys.id: Self.guest]).json)
        #expect(host.answer(to: say) == [:])
        #expect(host.answer(to: read()) == ["value": ["version": 1], "version": 1])
        // Purging the job's directory takes its owner with it, even once it is back.
        Self.commitOK(host, [.unlink(Self.nobodys.directory, recursive: true)])
        Self.commitOK(host, [.put(Self.nobodys.R, 2)])
        #expect(host.error(of: read())?.errnum == EPERM)
        // Removing another key of the job does not.
        Self.commitOK(host, [.unlink(Self.mine.R, recursive: false)])
        let mineRead = host.request(.kvs.get, ["key": .string(Self.mine.eventlog)], userid: Self.guest, roles: .user)
        #expect(host.error(of: mineRead) == nil)
    }

    // MARK: - Persistence

    /// A new empty directory for a statedir, removed by `remove`.
    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/fluxs-kvs-test.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
        return try #require(made, "mkdtemp")
    }

    static func remove(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test func withAStatedirCommitsSurviveUnloadingAndLoadingAgain() throws {
        let statedir = try Self.temporaryDirectory()
        defer { Self.remove(statedir) }
        let host = try Self.kvs(["statedir": statedir])

        let commit = host.request(.kvs.commit, Self.commit([.put("a.b", "kept"), .append("log", "1\n")]))
        // Answered once on disk, which takes the worker thread and a turn of the loop.
        #expect(host.answers(to: commit).isEmpty)
        #expect(host.settle(timeout: 30) { !host.answers(to: commit).isEmpty })
        #expect(host.answer(to: commit) == ["version": 1])
        let append = host.request(.kvs.commit, Self.commit([.append("log", "2\n")]))
        let create = host.request(.kvs.namespaceCreate, ["name": "ns1"])
        let nsCommit = host.request(.kvs.commit, Self.commit([.put("k", 1)], namespace: "ns1"))
        let gone = host.request(.kvs.namespaceCreate, ["name": "gone"])
        #expect(host.settle(timeout: 30) { [append, create, nsCommit, gone].allSatisfy { !host.answers(to: $0).isEmpty } })
        let remove = host.request(.kvs.namespaceRemove, ["name": "gone"])
        #expect(host.settle(timeout: 30) { !host.answers(to: remove).isEmpty })
        for tag in [append, create, nsCommit, gone, remove] { #expect(host.error(of: tag) == nil) }

        host.unload()
        try host.load(KVSModule.self)
        #expect(host.logs.contains { $0.message.contains("2 namespace(s) loaded") })
        #expect(host.answer(to: host.request(.kvs.get, ["key": "a.b"])) == ["value": "kept", "version": 2])
        #expect(host.answer(to: host.request(.kvs.get, ["key": "log"])) == ["value": "1\n2\n", "version": 2])
        #expect(host.answer(to: host.request(.kvs.get, ["key": "k", "namespace": "ns1"])) == ["value": 1, "version": 1])
        #expect(host.answer(to: host.request(.kvs.namespaceList))?.arrayValue?.compactMap { $0["name"]?.stringValue }
            == ["ns1", "primary"])
        // And it goes on from there.
        let next = host.request(.kvs.commit, Self.commit([.put("c", 3)]))
        #expect(host.settle(timeout: 30) { !host.answers(to: next).isEmpty })
        #expect(host.answer(to: next) == ["version": 3])
        host.unload()
    }

    @Test func unloadingCancelsWhatWaits() throws {
        let host = try Self.kvs()
        let watch = host.request(.kvs.watch, ["key": "a"], flags: .streaming)
        let wait = host.request(.kvs.waitVersion, ["version": 5])
        let fence = host.request(.kvs.commit, ["ops": [], "fence": ["name": "f", "nprocs": 2]])
        host.unload()
        for tag in [watch, wait, fence] { #expect(host.error(of: tag)?.errnum == ECANCELED) }
    }
}
