// ResourceModule (and its ResourcePool) alone in an EmbeddedModuleHost, messages in and
// messages and events out. For each method of its handler table (info-local, hello, R,
// status, drain, undrain): a correct request and its answer; malformed payloads (EPROTO
// or EINVAL naming the problem); guests (EPERM, but resource.R and resource.status are
// theirs too); queries that arrive before R is known or before the stored drains are read
// back (answered afterwards); the events it publishes (resource.drain, resource.undrain,
// resource.up) and overlay.lost; the configuration it starts from (resource.R,
// resource.exclude, verification against what a rank found); a rank other than 0 (its
// hello to rank 0). Discovery is real hwloc on a worker thread: waits use settle(until:).
// Several ranks talking to one another are left to the integration tests in t/.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import ResourceModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

/// An R of `nodes` nodes (ranks 0...) of `cores` cores each, on hosts node0... (or
/// without hostnames).
private func instanceR(_ nodes: Int, cores: Int = 2, hostnames: Bool = true) -> ResourceSet {
    ResourceSet(nodes: (0..<nodes).map {
        ResourceSet.Node(rank: UInt32($0), hostname: hostnames ? "node\($0)" : nil, cores: IDSet(range: 0...UInt32(cores - 1)))
    })
}

/// A node inventory as a rank sends it in resource.hello.
private func inventory(host: String = "node1", cores: Int = 2) -> JSONValue {
    [
        "hostname": .string(host), "packages": 1, "numa_nodes": 1, "cores": .int(Int64(cores)), "pus": .int(Int64(cores)),
        "memory": 1_073_741_824, "core_ids": .string("0-\(cores - 1)"), "cpuset": .string("0-\(cores - 1)"), "gpus": [],
    ]
}

/// Broker attributes for a configured R of two nodes, not verified.
private let twoNodes: [String: String] = [
    "size": "2", "resource.R": instanceR(2).json.compactText, "resource.noverify": "1",
]

/// A host with the resource module loaded on `rank`. kvs.get answers `drains` as the
/// stored value of resource.drain (ENOENT when nil), kvs.commit {}, and sched.status
/// ENOSYS (no scheduler) unless `allocated` is given. The caller unloads it (which
/// stops the discovery thread).
private func resourceHost(rank: UInt32 = 0, _ attributes: [String: String] = twoNodes, drains: JSONValue? = nil,
                          allocated: ResourceSet? = nil) throws -> EmbeddedModuleHost {
    let host = try EmbeddedModuleHost(rank: rank, attributes: attributes)
    host.serve(.kvs.get) { [unowned host] request in
        if let drains { host.reply(to: request, ["value": drains]) } else {
            host.reply(to: request, error: ServiceError(ENOENT, "resource.drain: no such key"))
        }
    }
    host.serve(.kvs.commit) { [unowned host] in host.reply(to: $0) }
    host.serve(.sched.status) { [unowned host] request in
        if let allocated { host.reply(to: request, ["allocated": allocated.json]) } else {
            host.reply(to: request, error: ServiceError(ENOSYS, "no service sched"))
        }
    }
    try host.load(ResourceModule.self)
    return host
}

/// Waits until the module's hwloc discovery is done.
private func discovered(_ host: EmbeddedModuleHost) -> Bool {
    let rank = host.rank
    return host.settle(timeout: 30) {
        // info-local answers EAGAIN until the inventory is in.
        let tag = host.request(.resource.infoLocal)
        return host.answer(to: tag)?["rank"]?.intValue == Int64(rank)
    }
}

/// The answer to resource.status (a guest may ask).
private func status(_ host: EmbeddedModuleHost) -> JSONValue? {
    host.answer(to: host.request(.resource.status, userid: 4242, roles: .user))
}

/// The events published with `topic`.
private func published(_ host: EmbeddedModuleHost, _ topic: String) -> [JSONValue] {
    host.published.filter { $0.topic == topic }.map(\.payload)
}

// MARK: - Tests

@Suite struct ResourceServiceTests {
    // MARK: resource.R and resource.status

    @Test func RIsTheConfiguredOneForAGuestToo() throws {
        let host = try resourceHost()
        defer { host.unload() }
        let tag = host.request(.resource.R, userid: 4242, roles: .user)
        #expect(try ResourceSet(json: #require(host.answer(to: tag))) == instanceR(2))
        #expect(host.sent(.kvs.get).first.flatMap { try? $0.json() } == ["key": "resource.drain"])
    }

    @Test func statusShowsUpDownDrainedAndNodes() throws {
        let host = try resourceHost()
        defer { host.unload() }
        let answer = try #require(status(host))
        #expect(try ResourceSet(json: #require(answer["R"])) == instanceR(2))
        // Rank 0 answers, so it is up; rank 1 has not said hello.
        #expect(answer["up"] == "0")
        #expect(answer["down"] == "1")
        #expect(answer["drained"] == [:])
        #expect(answer["nodelist"] == ["node0", "node1"])
        // No scheduler loaded: nothing is allocated.
        #expect(answer["allocated"] == "")
        #expect(answer["allocated_R"] == nil)
        #expect(host.sent(.sched.status).count == 1)
    }

    @Test func statusAsksTheSchedulerWhatIsAllocated() throws {
        let held = ResourceSet(nodes: [ResourceSet.Node(rank: 1, hostname: "node1", cores: [0])])
        let host = try resourceHost(allocated: held)
        defer { host.unload() }
        let answer = try #require(status(host))
        #expect(answer["allocated"] == "1")
        #expect(try ResourceSet(json: #require(answer["allocated_R"])) == held)
    }

    /// (resource.exclude, the ranks left in R)
    @Test(arguments: [("1", IDSet([0])), ("node0", IDSet([1])), ("0-1", IDSet())])
    func excludeRemovesRanksOrHosts(_ exclude: String, _ left: IDSet) throws {
        var attributes = twoNodes
        attributes["resource.exclude"] = exclude
        let host = try resourceHost(attributes)
        defer { host.unload() }
        let R = try ResourceSet(json: #require(host.answer(to: host.request(.resource.R))))
        #expect(R.ranks == left)
        // An excluded rank is no target.
        for rank in IDSet(range: 0...1).subtracting(left) {
            let drain = host.request(.resource.drain, ["targets": .string(String(rank))])
            #expect(host.error(of: drain)?.errnum == ENOENT)
        }
    }

    // MARK: drain and undrain

    @Test func drainPublishesKeepsInTheKVSAndShowsInStatus() throws {
        let host = try resourceHost()
        defer { host.unload() }
        let tag = host.request(.resource.drain, ["targets": "1", "reason": "bad fan"])
        #expect(host.answer(to: tag) == [:])
        #expect(published(host, "resource.drain") == [["ranks": "1", "reason": "bad fan"]])
        let op = try #require(host.sent(.kvs.commit).last?.json()["ops"]?.arrayValue?.first)
        #expect(op["op"] == "put" && op["key"] == "resource.drain")
        #expect(op["value"]?["1"]?["reason"] == "bad fan")
        #expect(status(host)?["drained"]?["1"]?["reason"] == "bad fan")
        #expect(status(host)?["drained"]?["1"]?["timestamp"]?.doubleValue ?? 0 > 0)
        #expect(host.logs.contains { $0.message == "drain idset=1 mode=none reason=bad fan" })
    }

    @Test func drainByHostnameAndSeveralRanks() throws {
        let host = try resourceHost()
        defer { host.unload() }
        let byHost = host.request(.resource.drain, ["targets": "node1"])
        #expect(host.error(of: byHost) == nil)
        #expect(published(host, "resource.drain").last?["ranks"] == "1")
        let undrain = host.request(.resource.undrain, ["targets": "node1"])
        #expect(host.error(of: undrain) == nil)
        let both = host.request(.resource.drain, ["targets": "0-1", "reason": "all"])
        #expect(host.error(of: both) == nil)
        #expect(published(host, "resource.drain").last == ["ranks": "0-1", "reason": "all"])
        #expect(status(host)?["drained"]?.objectValue?.keys.sorted() == ["0", "1"])
    }

    /// (a reason already there or none, how the drain is asked, the reason after it or
    /// the errno)
    struct Redrain: CustomTestStringConvertible, Sendable {
        var name: String
        var before: String?
        var extra: [String: JSONValue] = [:]
        var reason: String?
        var errnum: Int32 = 0
        var testDescription: String { name }
    }

    static let redrains: [Redrain] = [
        Redrain(name: "a rank not drained", before: nil, reason: "new"),
        Redrain(name: "a drained rank, no mode", before: "old", errnum: EEXIST),
        Redrain(name: "update keeps a reason", before: "old", extra: ["mode": "update"], reason: "old"),
        Redrain(name: "update fills an empty reason", before: "", extra: ["mode": "update"], reason: "new"),
        Redrain(name: "overwrite", before: "old", extra: ["mode": "overwrite"], reason: "new"),
        Redrain(name: "force-overwrite", before: "old", extra: ["mode": "force-overwrite"], reason: "new"),
        Redrain(name: "force is overwrite", before: "old", extra: ["force": true], reason: "new"),
    ]

    @Test(arguments: redrains) func drainModes(_ c: Redrain) throws {
        let host = try resourceHost()
        defer { host.unload() }
        if let before = c.before {
            #expect(host.error(of: host.request(.resource.drain, ["targets": "0", "reason": .string(before)])) == nil)
        }
        var payload: [String: JSONValue] = ["targets": "0", "reason": "new"]
        payload.merge(c.extra) { $1 }
        let tag = host.request(.resource.drain, .object(payload))
        #expect(host.error(of: tag)?.errnum ?? 0 == c.errnum)
        if c.errnum == EEXIST { #expect(host.error(of: tag)?.message == "rank 0 already drained") }
        if let reason = c.reason { #expect(status(host)?["drained"]?["0"]?["reason"] == .string(reason)) }
    }

    @Test func undrainPublishesAndForgetsTheDrain() throws {
        let host = try resourceHost()
        defer { host.unload() }
        host.request(.resource.drain, ["targets": "0-1", "reason": "x"])
        let tag = host.request(.resource.undrain, ["targets": "1", "reason": "fixed"])
        #expect(host.answer(to: tag) == [:])
        #expect(published(host, "resource.undrain") == [["ranks": "1", "reason": "fixed"]])
        #expect(status(host)?["drained"]?.objectValue?.keys.sorted() == ["0"])
        let saved = try #require(host.sent(.kvs.commit).last?.json()["ops"]?.arrayValue?.first?["value"])
        #expect(saved.objectValue?.keys.sorted() == ["0"])
        // Without a reason, the event has none.
        host.request(.resource.undrain, ["targets": "0"])
        #expect(published(host, "resource.undrain").last == ["ranks": "0"])
    }

    @Test func undrainOfARankNotDrainedNeedsAMode() throws {
        let host = try resourceHost()
        defer { host.unload() }
        let plain = host.request(.resource.undrain, ["targets": "0-1"])
        #expect(host.error(of: plain)?.errnum == EEXIST)
        #expect(host.error(of: plain)?.message == "ranks 0-1 not drained")
        #expect(published(host, "resource.undrain").isEmpty)
        let update = host.request(.resource.undrain, ["targets": "1", "mode": "update"])
        #expect(host.answer(to: update) == [:])
    }

    @Test func drainsStoredInTheKVSAreReadBackAtStart() throws {
        let host = try resourceHost(drains: ["1": ["reason": "from before", "timestamp": 5], "7": ["reason": "gone", "timestamp": 5]])
        defer { host.unload() }
        let drained = try #require(status(host)?["drained"])
        // Rank 7 is not in R: it is not shown.
        #expect(drained.objectValue?.keys.sorted() == ["1"])
        #expect(drained["1"]?["reason"] == "from before")
        #expect(drained["1"]?["timestamp"]?.doubleValue == 5)
        // Drained already: a plain drain is refused.
        #expect(host.error(of: host.request(.resource.drain, ["targets": "1"]))?.errnum == EEXIST)
    }

    // MARK: Malformed requests and guests

    typealias Bad = Refusal

    static let bad: [Bad] = [
        Bad(name: "R: not JSON", method: .resource.R, raw: "R?", says: "resource.R: payload is not JSON"),
        Bad(name: "status: not an object", method: .resource.status, raw: "\"all\"",
            says: "resource.status: payload must be a JSON object"),
        Bad(name: "drain: no targets", method: .resource.drain, payload: ["reason": "x"], says: "missing \"targets\""),
        Bad(name: "drain: empty targets", method: .resource.drain, payload: ["targets": ""], says: "missing \"targets\""),
        Bad(name: "drain: targets that are a number", method: .resource.drain, payload: ["targets": 1],
            says: "\"targets\" must be a string"),
        Bad(name: "drain: a reason that is a number", method: .resource.drain, payload: ["targets": "0", "reason": 3],
            says: "\"reason\" must be a string"),
        Bad(name: "drain: force that is a string", method: .resource.drain, payload: ["targets": "0", "force": "yes"],
            says: "\"force\" must be true or false"),
        Bad(name: "drain: an unknown mode", method: .resource.drain, payload: ["targets": "0", "mode": "gently"],
            errnum: EINVAL, says: "invalid drain mode 'gently' specified"),
        Bad(name: "drain: targets neither idset nor hostlist", method: .resource.drain, payload: ["targets": "node[1"],
            errnum: EINVAL, says: "targets \"node[1\" are neither an idset nor a hostlist"),
        Bad(name: "drain: a rank the instance lacks", method: .resource.drain, payload: ["targets": "0-3"],
            errnum: ENOENT, says: "no such rank or host: 2-3"),
        Bad(name: "drain: a host the instance lacks", method: .resource.drain, payload: ["targets": "node9"],
            errnum: ENOENT, says: "no such rank or host: node9"),
        Bad(name: "undrain: no targets", method: .resource.undrain, says: "missing \"targets\""),
        Bad(name: "undrain: a mode that is a number", method: .resource.undrain, payload: ["targets": "0", "mode": 1],
            says: "\"mode\" must be a string"),
        Bad(name: "hello: no rank", method: .resource.hello, payload: ["inventory": inventory()],
            says: "resource.hello needs a rank of this instance and an inventory"),
        Bad(name: "hello: a rank outside the instance", method: .resource.hello, payload: ["rank": 2, "inventory": inventory()],
            says: "resource.hello needs a rank of this instance and an inventory"),
        Bad(name: "hello: a rank that is a string", method: .resource.hello, payload: ["rank": "1", "inventory": inventory()],
            says: "\"rank\" must be an integer"),
        Bad(name: "hello: a negative rank", method: .resource.hello, payload: ["rank": -1, "inventory": inventory()],
            says: "\"rank\" is out of range"),
        Bad(name: "hello: no inventory", method: .resource.hello, payload: ["rank": 1],
            says: "resource.hello needs a rank of this instance and an inventory"),
        Bad(name: "hello: an inventory that is not an object", method: .resource.hello, payload: ["rank": 1, "inventory": "big"],
            says: "node inventory: inventory: must be an object, not string"),
        Bad(name: "hello: an inventory without cores", method: .resource.hello, payload: ["rank": 1, "inventory": ["hostname": "n"]],
            says: "node inventory: cores: must be a non-negative integer"),
        Bad(name: "a method resource lacks", method: ServiceMethod("resource.nosuch"), errnum: ENOSYS,
            says: "resource has no method \"nosuch\""),
    ]

    @Test(arguments: bad) func malformedRequests(_ c: Bad) throws {
        let host = try resourceHost()
        defer { host.unload() }
        let tag = host.request(c.method, c.payload, raw: c.raw.map { Array($0.utf8) })
        #expect(host.answers(to: tag).count == 1)
        let error = host.error(of: tag)
        #expect(error?.errnum == c.errnum)
        #expect(error?.message.contains(c.says) == true, "\(error?.message ?? "no error")")
        // Nothing changed: no event, rank 1 still down and nothing drained.
        #expect(host.published.isEmpty)
        #expect(status(host)?["down"] == "1")
        #expect(status(host)?["drained"] == [:])
    }

    /// (the method, whether a guest may call it)
    @Test(arguments: [
        (ServiceMethod.resource.R, true), (.resource.status, true), (.resource.drain, false), (.resource.undrain, false),
        (.resource.hello, false), (.resource.infoLocal, false),
    ])
    func guests(_ method: ServiceMethod, _ allowed: Bool) throws {
        let host = try resourceHost()
        defer { host.unload() }
        let tag = host.request(method, ["targets": "0", "rank": 1, "inventory": inventory()], userid: 4242, roles: .user)
        #expect(host.answers(to: tag).count == 1)
        if allowed {
            #expect(host.error(of: tag) == nil)
        } else {
            #expect(host.error(of: tag)?.errnum == EPERM)
            #expect(host.error(of: tag)?.message == "\(method.topic) is for the instance owner")
            #expect(host.published.isEmpty)
        }
    }

    // MARK: Before R and the drains are known

    @Test func queriesWaitForTheStoredDrains() throws {
        let host = try EmbeddedModuleHost(attributes: twoNodes)
        host.serve(.sched.status) { [unowned host] in host.reply(to: $0, error: ServiceError(ENOSYS)) }
        host.serve(.kvs.commit) { [unowned host] in host.reply(to: $0) }
        try host.load(ResourceModule.self)
        defer { host.unload() }
        let R = host.request(.resource.R, roles: .user)
        let statusTag = host.request(.resource.status, roles: .user)
        let drain = host.request(.resource.drain, ["targets": "0", "reason": "new"])
        let bad = host.request(.resource.undrain, ["targets": 5])
        host.settle()
        for tag in [R, statusTag, drain, bad] { #expect(host.answers(to: tag).isEmpty) }

        let get = try #require(host.sent(.kvs.get).first)
        host.reply(to: get, ["value": ["1": ["reason": "stored", "timestamp": 5]]])
        #expect(try ResourceSet(json: #require(host.answer(to: R))) == instanceR(2))
        // Answered in the order they came: status before the drain.
        #expect(host.answer(to: statusTag)?["drained"]?.objectValue?.keys.sorted() == ["1"])
        #expect(host.answer(to: drain) == [:])
        #expect(host.error(of: bad)?.errnum == EPROTO)
        #expect(status(host)?["drained"]?.objectValue?.keys.sorted() == ["0", "1"])
    }

    @Test func aFailedKVSReadStillLetsQueriesThrough() throws {
        let host = try EmbeddedModuleHost(attributes: twoNodes)
        host.serve(.kvs.get) { [unowned host] in host.reply(to: $0, error: ServiceError(EIO, "kvs is broken")) }
        try host.load(ResourceModule.self)
        defer { host.unload() }
        let R = host.request(.resource.R)
        #expect(host.error(of: R) == nil && host.answer(to: R) != nil)
    }

    @Test func withoutAConfiguredRQueriesWaitForDiscovery() throws {
        let host = try resourceHost(["size": "1"])
        defer { host.unload() }
        // The inventory comes back through the loop: not before it turns.
        let early = host.request(.resource.infoLocal)
        #expect(host.error(of: early)?.errnum == EAGAIN)
        #expect(host.error(of: early)?.message == "rank 0 has not finished discovery")
        let tag = host.request(.resource.R, roles: .user)
        #expect(host.answers(to: tag).isEmpty)

        #expect(host.settle(timeout: 30) { !host.answers(to: tag).isEmpty })
        let R = try ResourceSet(json: #require(host.answer(to: tag)))
        #expect(R.ranks == [0])
        let local = try #require(host.answer(to: host.request(.resource.infoLocal)))
        #expect(local["rank"] == 0)
        #expect(R.ncores == Int(local["inventory"]?["cores"]?.intValue ?? -1))
        #expect(R.hostname(ofRank: 0) == local["inventory"]?["hostname"]?.stringValue)
    }

    @Test func RIsAssembledWhenEveryRankHasSaidHello() throws {
        let host = try resourceHost(["size": "2"])
        defer { host.unload() }
        #expect(discovered(host))
        let tag = host.request(.resource.R)
        #expect(host.answers(to: tag).isEmpty)
        #expect(status(host) == nil)

        let hello = host.request(.resource.hello, ["rank": 1, "inventory": inventory(host: "other", cores: 3)])
        #expect(host.answer(to: hello) == [:])
        #expect(published(host, "resource.up") == [["ranks": "1"]])
        let R = try ResourceSet(json: #require(host.answer(to: tag)))
        #expect(R.ranks == [0, 1])
        #expect(R.node(rank: 1)?.cores == IDSet(range: 0...2))
        #expect(R.hostname(ofRank: 1) == "other")
    }

    /// After a reload on rank 0 the hellos are long gone: it asks each other rank.
    @Test func rankZeroAsksOtherRanksForTheirInventories() throws {
        let host = try resourceHost(["size": "3"])
        defer { host.unload() }
        let asked = host.sent(.resource.infoLocal)
        #expect(asked.map(\.nodeid) == [.rank(1), .rank(2)])
        host.reply(to: asked[0], ["rank": 1, "inventory": inventory(host: "n1")])
        host.reply(to: asked[1], error: ServiceError(EHOSTUNREACH, "rank 2 is not up"))
        #expect(published(host, "resource.up") == [["ranks": "1"]])
        // Rank 2 says hello later, when it is up.
        host.request(.resource.hello, ["rank": 2, "inventory": inventory(host: "n2")])
        #expect(discovered(host))
        let R = try ResourceSet(json: #require(host.answer(to: host.request(.resource.R))))
        #expect(R.ranks == IDSet(range: 0...2))
    }

    // MARK: Ranks coming and going

    @Test func aLostRankIsDownUntilItSaysHelloAgain() throws {
        let host = try resourceHost()
        defer { host.unload() }
        host.request(.resource.hello, ["rank": 1, "inventory": inventory()])
        #expect(published(host, "resource.up") == [["ranks": "1"]])
        #expect(status(host)?["up"] == "0-1" && status(host)?["down"] == "")
        // A second hello from a rank that is up announces nothing.
        host.request(.resource.hello, ["rank": 1, "inventory": inventory()])
        #expect(published(host, "resource.up").count == 1)

        #expect(host.subscriptions.contains("overlay.lost"))
        host.event("overlay.lost", ["ranks": "1"])
        #expect(status(host)?["up"] == "0" && status(host)?["down"] == "1")
        #expect(host.logs.contains { $0.message == "resource: ranks 1 are down (lost by the overlay)" })

        host.request(.resource.hello, ["rank": 1, "inventory": inventory()])
        #expect(published(host, "resource.up").count == 2)
        #expect(host.logs.contains { $0.message == "resource: rank 1 is up again" })
        #expect(status(host)?["down"] == "")
    }

    @Test func aRankThatFallsShortOfRIsDrained() throws {
        let R = ResourceSet(nodes: [ResourceSet.Node(rank: 0, cores: [0]), ResourceSet.Node(rank: 1, cores: IDSet(range: 0...3))])
        let host = try resourceHost(["size": "2", "resource.R": R.json.compactText])
        defer { host.unload() }
        host.request(.resource.hello, ["rank": 1, "inventory": inventory(cores: 2)])
        let reason = "has 2 cores, R says 4 (cores 2-3 missing)"
        #expect(status(host)?["drained"]?["1"]?["reason"] == .string(reason))
        #expect(host.logs.contains { $0.level == .err && $0.message == "resource: rank 1 drained: \(reason)" })
        // With resource.noverify it is not.
        let trusting = try resourceHost(["size": "2", "resource.R": R.json.compactText, "resource.noverify": "1"])
        defer { trusting.unload() }
        trusting.request(.resource.hello, ["rank": 1, "inventory": inventory(cores: 2)])
        #expect(status(trusting)?["drained"] == [:])
    }

    /// Rank 0 is up from the start, so no resource.up follows its own discovery: when it
    /// falls short of R, nothing tells the scheduler (which learns drains from events).
    @Test func rankZeroFallingShortIsAnnounced() throws {
        let R = ResourceSet(nodes: [ResourceSet.Node(rank: 0, cores: IDSet(range: 0...4095))])
        let host = try resourceHost(["resource.R": R.json.compactText])
        defer { host.unload() }
        #expect(discovered(host))
        let reason = status(host)?["drained"]?["0"]?["reason"]?.stringValue ?? ""
        #expect(reason.contains("R says 4096"))
        #expect(published(host, "resource.drain").map { $0["ranks"] } == ["0"])
    }

    // MARK: Start-up, other ranks, stopping

    /// (attributes, the errno load fails with, words of its message)
    @Test(arguments: [
        (["resource.R": "{not R"], EINVAL, "resource.R: "),
        (["resource.R": #"{"version":2,"execution":{"R_lite":[]}}"#], EINVAL, "resource.R: R: version: must be 1, not 2"),
        (["resource.exclude": "node[1"], EINVAL, "resource.exclude \"node[1\" is neither an idset of ranks nor a hostlist"),
        (["resource.path": "/nonexistent/fluxs-R.json"], ENOENT, "resource.path"),
    ])
    func badConfigurationFailsToLoad(_ attributes: [String: String], _ errnum: Int32, _ message: String) throws {
        let host = try EmbeddedModuleHost(attributes: attributes)
        defer { host.unload() }
        var failure: ServiceError?
        do { try host.load(ResourceModule.self) } catch { failure = error }
        #expect(failure?.errnum == errnum)
        #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "loaded")")
    }

    @Test func otherRanksSayHelloToRankZeroAndServeOnlyInfoLocal() throws {
        let host = try resourceHost(rank: 1, ["size": "2"])
        defer { host.unload() }
        let R = host.request(.resource.R, roles: .user)
        #expect(host.error(of: R)?.errnum == EHOSTUNREACH)
        #expect(host.error(of: R)?.message == "resource.R is served on rank 0")
        #expect(host.sent(.kvs.get).isEmpty)

        #expect(host.settle(timeout: 30) { !host.sent(.resource.hello).isEmpty })
        let hello = try #require(host.sent(.resource.hello).first)
        #expect(hello.nodeid == .rank(0))
        let body = try hello.json()
        #expect(body["rank"] == 1)
        #expect(body["inventory"]?["cores"]?.intValue ?? 0 > 0)
        let local = host.answer(to: host.request(.resource.infoLocal))
        #expect(local?["rank"] == 1 && local?["inventory"] == body["inventory"])
        host.reply(to: hello, error: ServiceError(EPROTO, "refused"))
        #expect(host.logs.contains { $0.level == .err && $0.message == "resource: hello to rank 0 failed: refused" })
    }

    @Test func stoppingAnswersWaitingQueriesECANCELED() throws {
        let host = try EmbeddedModuleHost(attributes: twoNodes)
        try host.load(ResourceModule.self)
        let tag = host.request(.resource.R)
        #expect(host.answers(to: tag).isEmpty)
        host.unload()
        #expect(host.error(of: tag)?.errnum == ECANCELED)
        #expect(host.error(of: tag)?.message == "the resource module is stopping")
    }
}
