// Tests of R version 1 (RFC 20): the RFC's example, compression on emit, set operations,
// queries, validation errors (exact messages) and round trips at 1,024 nodes.
import Testing
import FluxsFormats

/// An R document with the given R_lite array text and extra `execution` members.
private func document(_ rLite: String, _ extra: String = "") -> String {
    #"{"version":1,"execution":{"R_lite":\#(rLite)\#(extra.isEmpty ? "" : ",")\#(extra)}}"#
}

/// The message of the error that parsing `text` throws, or nil when it parses.
private func parseError(_ text: String) -> String? {
    do {
        _ = try ResourceSet(parsing: text)
        return nil
    } catch {
        return error.message
    }
}

/// A node given in short form.
private func node(_ rank: UInt32, _ host: String? = nil, cores: String = "", gpus: String = "",
                  properties: Set<String> = []) -> ResourceSet.Node {
    ResourceSet.Node(rank: rank, hostname: host, cores: try! IDSet(parsing: cores), gpus: try! IDSet(parsing: gpus),
                     properties: properties)
}

/// Parses and emits again, expecting the same set back.
private func roundTrip(_ set: ResourceSet) throws -> ResourceSet {
    let again = try ResourceSet(parsing: set.json.compactText)
    #expect(again == set)
    return again
}

private let rfcExample = """
    {
      "version": 1,
      "execution": {
        "R_lite": [ { "rank": "19-22", "children": { "core": "0-47", "gpu": "0-7" } } ],
        "nodelist": [ "node[186-189]" ],
        "nslots": 32,
        "starttime": 1676560542,
        "expiration": 1676562342
      }
    }
    """

@Suite struct ResourceSetTests {
    // MARK: RFC 20 example and emission

    @Test func rfcExampleParses() throws {
        let set = try ResourceSet(parsing: rfcExample)
        #expect(set.ranks == IDSet(range: 19...22))
        #expect(set.nnodes == 4 && set.ncores == 4 * 48 && set.ngpus == 4 * 8)
        #expect(set.nodelist.hosts == ["node186", "node187", "node188", "node189"])
        #expect(set.hostname(ofRank: 21) == "node188")
        #expect(set.node(rank: 19)?.cores == IDSet(range: 0...47))
        #expect(set.starttime == 1676560542 && set.expiration == 1676562342 && set.nslots == 32)
        #expect(set.scheduling == nil)
    }

    @Test func rfcExampleReEmitsEquivalently() throws {
        let set = try ResourceSet(parsing: rfcExample)
        let execution = try #require(set.json["execution"])
        #expect(execution["R_lite"] == [["rank": "19-22", "children": ["core": "0-47", "gpu": "0-7"]]])
        #expect(execution["nodelist"] == ["node[186-189]"])
        #expect(execution["nslots"] == 32)
        #expect(execution["starttime"]?.doubleValue == 1676560542)
        #expect(execution["properties"] == nil)
        #expect(set.json["version"] == 1)
        _ = try roundTrip(set)
    }

    @Test func likeNodesCompressIntoOneEntry() throws {
        let cores = IDSet(range: 0...63), gpus = IDSet(range: 0...3)
        let set = ResourceSet(nodes: (0..<1024).map {
            ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: cores, gpus: gpus)
        })
        let execution = try #require(set.json["execution"])
        #expect(execution["R_lite"] == [["rank": "0-1023", "children": ["core": "0-63", "gpu": "0-3"]]])
        #expect(execution["nodelist"] == ["node[0-1023]"])
        #expect(try roundTrip(set).ncores == 1024 * 64)
    }

    @Test func entriesGroupByShareInOrderOfLowestRank() throws {
        let set = ResourceSet(nodes: [
            node(3, cores: "0-1"), node(0, cores: "0-3", gpus: "0"), node(1, cores: "0-1"), node(2, cores: "0-3", gpus: "0"),
            node(4, gpus: "1"),
        ])
        #expect(set.json["execution"]?["R_lite"] == [
            ["rank": "0,2", "children": ["core": "0-3", "gpu": "0"]],
            ["rank": "1,3", "children": ["core": "0-1"]],
            ["rank": "4", "children": ["core": "", "gpu": "1"]],
        ])
        // Without every hostname known, no nodelist is written.
        #expect(set.json["execution"]?["nodelist"] == nil)
        _ = try roundTrip(set)
    }

    @Test func propertiesAndSchedulingRoundTrip() throws {
        var set = ResourceSet(nodes: [
            node(0, "a0", cores: "0-3", properties: ["amd-mi50@gpu", "big"]), node(1, "a1", cores: "0-3", properties: ["big"]),
            node(2, "b0", cores: "0-3"),
        ], starttime: 10.5, expiration: 20.25, scheduling: ["graph": ["nodes": [], "edges": []]])
        set.nslots = 3
        let execution = try #require(set.json["execution"])
        #expect(execution["properties"] == ["amd-mi50@gpu": "0", "big": "0-1"])
        #expect(execution["nodelist"] == ["a[0-1],b0"])
        let again = try roundTrip(set)
        #expect(again.ranks(withProperty: "big") == [0, 1])
        #expect(again.scheduling == ["graph": ["nodes": [], "edges": []]])
    }

    @Test func emptySetRoundTrips() throws {
        let empty = ResourceSet()
        #expect(empty.json["execution"]?["R_lite"] == [])
        #expect(empty.json["execution"]?["nodelist"] == [])
        #expect(try roundTrip(empty).isEmpty)
        // flux-core writes [""] as the nodelist of an empty set.
        #expect(try ResourceSet(parsing: document("[]", #""nodelist":[""]"#)) == empty)
    }

    @Test func severalHostlistsAndUnorderedEntries() throws {
        let set = try ResourceSet(parsing: document(
            #"[{"rank":"2-3","children":{"core":"0"}},{"rank":"0-1","children":{"gpu":"0"}}]"#,
            #""nodelist":["x[1-2]","login","y7"],"attributes":{"ignored":true}"#))
        #expect(set.nodes.map(\.rank) == [0, 1, 2, 3])
        #expect(set.nodes.map(\.hostname) == ["x1", "x2", "login", "y7"])
        #expect(set.node(rank: 0)?.cores.isEmpty == true)
        #expect(set.ranks(onHost: "login") == [2])
    }

    // MARK: Set operations

    @Test func unionMergesRanksAndPartialCores() throws {
        let a = ResourceSet(nodes: [node(0, "n0", cores: "0-1"), node(1, "n1", cores: "0-3")], starttime: 5)
        let b = ResourceSet(nodes: [node(0, cores: "2-3", gpus: "0", properties: ["p"]), node(2, "n2", cores: "0")])
        let u = try a.union(b)
        #expect(u.nodes == [
            node(0, "n0", cores: "0-3", gpus: "0", properties: ["p"]), node(1, "n1", cores: "0-3"), node(2, "n2", cores: "0"),
        ])
        #expect(u.starttime == 5)
        #expect(try b.union(a).nodes == u.nodes)
        #expect(try a.union(a) == a)
        #expect(try a.union(ResourceSet()) == a)
    }

    @Test func unionRefusesConflictingHostnames() {
        let a = ResourceSet(nodes: [node(3, "n3", cores: "0")])
        let b = ResourceSet(nodes: [node(3, "n9", cores: "1")])
        #expect(throws: ParseError("resource set union: rank 3 is host \"n3\" in one set and \"n9\" in the other")) {
            try a.union(b)
        }
    }

    @Test(arguments: [
        // (minuend, subtrahend, expected difference), each as nodes
        ([node(0, cores: "0-3", gpus: "0-1")], [node(0, cores: "1")], [node(0, cores: "0,2-3", gpus: "0-1")]),
        ([node(0, cores: "0-3", gpus: "0-1")], [node(0, gpus: "0-1")], [node(0, cores: "0-3")]),
        ([node(0, cores: "0-3"), node(1, cores: "0-3")], [node(0, cores: "0-3")], [node(1, cores: "0-3")]),
        ([node(0, cores: "0-3", gpus: "0")], [node(0, cores: "0-7", gpus: "0-3")], []),
        ([node(0, cores: "0-3")], [node(5, cores: "0-3")], [node(0, cores: "0-3")]),
        ([node(0, cores: "0-3")], [], [node(0, cores: "0-3")]),
        ([], [node(0, cores: "0-3")], []),
    ])
    func subtracting(a: [ResourceSet.Node], b: [ResourceSet.Node], expected: [ResourceSet.Node]) {
        #expect(ResourceSet(nodes: a).subtracting(ResourceSet(nodes: b)).nodes == expected)
    }

    @Test(arguments: [
        ([node(0, cores: "0-3", gpus: "0-1")], [node(0, cores: "2-5", gpus: "1-2")], [node(0, cores: "2-3", gpus: "1")]),
        ([node(0, cores: "0-3"), node(1, cores: "0")], [node(1, cores: "0-7"), node(2, cores: "0")], [node(1, cores: "0")]),
        ([node(0, cores: "0-3")], [node(0, cores: "4-7")], []),
        ([node(0, "a", cores: "0-3")], [node(0, "b", cores: "0-3")], []),
        ([node(0, cores: "0-3", properties: ["p"])], [node(0, "h", cores: "1")], [node(0, "h", cores: "1", properties: ["p"])]),
    ])
    func intersection(a: [ResourceSet.Node], b: [ResourceSet.Node], expected: [ResourceSet.Node]) {
        #expect(ResourceSet(nodes: a).intersection(ResourceSet(nodes: b)).nodes == expected)
    }

    @Test func intersectionKeepsReceiversNodesWhicheverIsSmaller() {
        let big = ResourceSet(nodes: (0..<8).map { node($0, cores: "0-3", properties: ["big"]) })
        let small = ResourceSet(nodes: [node(5, cores: "1-9", properties: ["small"])])
        #expect(big.intersection(small).nodes == [node(5, cores: "1-3", properties: ["big"])])
        #expect(small.intersection(big).nodes == [node(5, cores: "1-3", properties: ["small"])])
    }

    @Test func restrictedToRanks() {
        let set = ResourceSet(nodes: (0..<10).map { node($0, cores: "0") }, scheduling: ["x": 1])
        #expect(set.restricted(to: try! IDSet(parsing: "1-2,8,20-30")).ranks == [1, 2, 8])
        #expect(set.restricted(to: [4]).scheduling == ["x": 1])
        #expect(set.restricted(to: [40]) == ResourceSet())
    }

    @Test func allocateAndFreeRestoresTheWhole() throws {
        let whole = ResourceSet(nodes: (0..<4).map { node($0, "n\($0)", cores: "0-7", gpus: "0-1") })
        let job = ResourceSet(nodes: [node(1, "n1", cores: "2-3"), node(2, "n2", cores: "0-7", gpus: "0-1")])
        let free = whole.subtracting(job)
        #expect(free.ncores == 32 - 10 && free.ngpus == 6 && free.nnodes == 3)
        #expect(free.intersection(job).isEmpty)
        #expect(try free.union(job) == whole)
    }

    @Test func repeatedSubtractionDrainsAndRefills() throws {
        let whole = ResourceSet(nodes: (0..<100).map { node($0, "n\($0)", cores: "0-3", properties: $0 == 7 ? ["p"] : []) })
        var free = whole
        for core in 0..<4 {
            let taken = ResourceSet(nodes: (0..<100).map { node($0, cores: "\(core)") })
            free = free.subtracting(taken)
            #expect(free.ncores == 100 * (3 - core))
        }
        #expect(free.isEmpty && free.ranks(withProperty: "p").isEmpty)
        #expect(free.json["execution"]?["R_lite"] == [])
        let refilled = try free.union(whole.restricted(to: [7])).union(whole)
        #expect(refilled == whole && refilled.ranks(withProperty: "p") == [7])
    }

    // MARK: Queries and construction

    @Test func queries() {
        let set = ResourceSet(nodes: [
            node(7, "h1", cores: "0-3", properties: ["x"]), node(2, "h0", cores: "0-1", gpus: "0-3"), node(9, "h1", cores: "0"),
        ])
        #expect(set.ranks == [2, 7, 9])
        #expect(set.nnodes == 3 && set.ncores == 7 && set.ngpus == 4)
        #expect(set.nodelist.hosts == ["h0", "h1", "h1"])
        #expect(set.hostname(ofRank: 7) == "h1" && set.hostname(ofRank: 8) == nil)
        #expect(set.ranks(onHost: "h1") == [7, 9] && set.ranks(onHost: "nope").isEmpty)
        #expect(set.ranks(withProperty: "x") == [7] && set.ranks(withProperty: "y").isEmpty)
        #expect(set.node(rank: 0) == nil)
    }

    @Test func initSortsAndLastRankWins() {
        let set = ResourceSet(nodes: [node(5, cores: "0"), node(1, cores: "0"), node(5, cores: "1"), node(3, cores: "2")])
        #expect(set.nodes == [node(1, cores: "0"), node(3, cores: "2"), node(5, cores: "1")])
    }

    // MARK: Validation

    @Test(arguments: [
        ("[]", "R: must be an object, not array"),
        ("{}", "R: version: required"),
        (#"{"version":2,"execution":{"R_lite":[]}}"#, "R: version: must be 1, not 2"),
        (#"{"version":"1","execution":{"R_lite":[]}}"#, #"R: version: must be 1, not "1""#),
        (#"{"version":1}"#, "R: execution: required"),
        (#"{"version":1,"scheduling":{}}"#, "R: execution: required"),
        (#"{"version":1,"execution":[]}"#, "R: execution: must be an object, not array"),
        (#"{"version":1,"execution":{}}"#, "R: execution.R_lite: required"),
        (document("{}"), "R: execution.R_lite: must be an array, not object"),
        (document("[1]"), "R: execution.R_lite[0]: must be an object, not integer"),
        (document(#"[{"children":{"core":"0"}}]"#), "R: execution.R_lite[0].rank: required"),
        (document(#"[{"rank":0,"children":{}}]"#), "R: execution.R_lite[0].rank: must be an idset string, not integer"),
        (document(#"[{"rank":"","children":{}}]"#), "R: execution.R_lite[0].rank: names no ranks"),
        (document(#"[{"rank":"0"}]"#), "R: execution.R_lite[0].children: required"),
        (document(#"[{"rank":"0","children":"core"}]"#), "R: execution.R_lite[0].children: must be an object, not string"),
        (document(#"[{"rank":"0","children":{"core":"0","nic":"0","acc":"1"}}]"#),
         #"R: execution.R_lite[0].children: unknown resource type "acc" (RFC 20 defines core and gpu)"#),
        (document(#"[{"rank":"0","children":{"core":5}}]"#),
         "R: execution.R_lite[0].children.core: must be an idset string, not integer"),
        (document(#"[{"rank":"0","children":{"gpu":null}}]"#),
         "R: execution.R_lite[0].children.gpu: must be an idset string, not null"),
        (document(#"[{"rank":"0-3","children":{}},{"rank":"5","children":{}},{"rank":"3","children":{}}]"#),
         "R: execution.R_lite[2].rank: rank 3 is also in execution.R_lite[0]"),
        (document(#"[{"rank":"0-2000000","children":{}}]"#), "R: execution.R_lite[0].rank: more than 1048576 ranks in all"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""nodelist":"n[0-3]""#),
         "R: execution.nodelist: must be an array of hostlist strings, not string"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""nodelist":[1]"#), "R: execution.nodelist[0]: must be a string, not integer"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""nodelist":["n[0-2]"]"#), "R: execution.nodelist: names 3 hosts for 4 ranks"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""nodelist":["n[0-2]","m[0-1]"]"#),
         "R: execution.nodelist: names 5 hosts for 4 ranks"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""nodelist":["n[0-4000000000]"]"#),
         "R: execution.nodelist: names 4000000001 hosts for 4 ranks"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""properties":[]"#), "R: execution.properties: must be an object, not array"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""properties":{"ok":"0","a|b":"0"}"#),
         #"R: execution.properties: property name "a|b" contains forbidden character '|'"#),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""properties":{"!x":"0"}"#),
         #"R: execution.properties: property name "!x" contains forbidden character '!'"#),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""properties":{"p":0}"#),
         "R: execution.properties.p: must be an idset string, not integer"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""properties":{"p":"2-9"}"#), "R: execution.properties.p: ranks 4-9 not in R_lite"),
        (document(#"[{"rank":"0-3","children":{}}]"#, #""properties":{"p":"7"}"#), "R: execution.properties.p: rank 7 not in R_lite"),
        (document("[]", #""starttime":"now""#), "R: execution.starttime: must be a number, not string"),
        (document("[]", #""expiration":-1"#), "R: execution.expiration: must not be negative, not -1"),
        (document("[]", #""starttime":200,"expiration":100"#), "R: execution.expiration: 100.0 is not after starttime 200.0"),
        (document("[]", #""starttime":200,"expiration":200"#), "R: execution.expiration: 200.0 is not after starttime 200.0"),
        (document("[]", #""nslots":1.5"#), "R: execution.nslots: must be a non-negative integer, not 1.5"),
    ])
    func malformed(text: String, message: String) {
        #expect(parseError(text) == message)
    }

    /// Idset and hostlist errors are nested under the path of the member that holds them.
    @Test(arguments: [
        (document(#"[{"rank":"0","children":{}},{"rank":"3-1","children":{}}]"#), "execution.R_lite[1].rank", "3-1"),
        (document(#"[{"rank":"0","children":{"core":"0-x"}}]"#), "execution.R_lite[0].children.core", "0-x"),
        (document(#"[{"rank":"0","children":{"gpu":"1,,2"}}]"#), "execution.R_lite[0].children.gpu", "1,,2"),
        (document(#"[{"rank":"0","children":{}}]"#, #""properties":{"p":"0-"}"#), "execution.properties.p", "0-"),
    ])
    func nestedIDSetErrors(text: String, path: String, idset: String) throws {
        let inner = try #require(idsetError(idset))
        #expect(parseError(text) == "R: \(path): \(inner)")
    }

    @Test func nestedHostlistError() throws {
        let inner: String
        do {
            _ = try Hostlist(parsing: "n[1-")
            Issue.record("hostlist \"n[1-\" parsed")
            return
        } catch {
            inner = error.message
        }
        #expect(parseError(document(#"[{"rank":"0","children":{}}]"#, #""nodelist":["n0","n[1-"]"#))
            == "R: execution.nodelist[1]: \(inner)")
    }

    @Test func invalidJSONIsNamed() throws {
        let message = try #require(parseError("{"))
        #expect(message.hasPrefix("R: invalid JSON"))
    }

    @Test func acceptedEdges() throws {
        // "@" is reserved for schedulers but allowed; times of 0 mean unset; integral nslots as real.
        let set = try ResourceSet(parsing: document(#"[{"rank":"4294967294","children":{"core":"0"},"node":"x"}]"#,
            #""properties":{"amd@gpu":"4294967294"},"starttime":0,"expiration":5,"nslots":2.0"#))
        #expect(set.ranks == [UInt32.max - 1] && set.expiration == 5 && set.nslots == 2)
        #expect(set.ranks(withProperty: "amd@gpu") == [UInt32.max - 1])
        _ = try roundTrip(set)
    }

    // MARK: Scale

    @Test func largeVariedSetRoundTrips() throws {
        let set = ResourceSet(nodes: (0..<1024).map { i in
            let rank = UInt32(i)
            return ResourceSet.Node(rank: rank, hostname: "rack\(i / 64)n\(i % 64)",
                                    cores: IDSet(range: 0...UInt32(i % 3 == 0 ? 31 : 63)), gpus: i % 2 == 0 ? [0, 1] : [],
                                    properties: i % 5 == 0 ? ["fives"] : [])
        }, starttime: 1_700_000_000.25, expiration: 1_700_003_600.5)
        let again = try roundTrip(set)
        #expect(again.nnodes == 1024 && again.ranks(withProperty: "fives").count == 205)
        // Four shares: 32 or 64 cores, with or without gpus.
        #expect(set.json["execution"]?["R_lite"]?.arrayValue?.count == 4)
    }

    private func idsetError(_ text: String) -> String? {
        do {
            _ = try IDSet(parsing: text)
            return nil
        } catch {
            return error.message
        }
    }
}

struct ResourceSetRenumberTests {
    @Test func aChildSeesRanksCoresAndGPUsFromZero() throws {
        let R = ResourceSet(nodes: [
            ResourceSet.Node(rank: 7, hostname: "n7", cores: try IDSet(parsing: "4-5"), gpus: try IDSet(parsing: "1"),
                             properties: ["big"]),
            ResourceSet.Node(rank: 3, hostname: "n3", cores: try IDSet(parsing: "2"), gpus: IDSet()),
        ], starttime: 10, expiration: 99)
        let child = R.renumbered()
        #expect(child.nodes.map(\.rank) == [0, 1])
        #expect(child.nodes.map(\.hostname) == ["n3", "n7"])
        #expect(child.nodes.map(\.cores) == [IDSet([0]), IDSet([0, 1])])
        #expect(child.nodes.map(\.gpus) == [IDSet(), IDSet([0])])
        #expect(child.nodes[1].properties == ["big"])
        #expect(child.expiration == 99 && child.starttime == 10)
    }
}
