// Node constraints beyond properties (RFC 31 as flux-core's matcher reads it): hostlist,
// ranks, and, or, not, a host name used as a property, the scans skipping ruled-out
// nodes in both directions, and the feasibility messages of constrained requests.
import FluxsFormats
import FluxsSched
import Testing

struct GraphConstraintTests {
    /// One-slot request of one core under `constraint` (RFC 35 text).
    private func request(_ query: String, slots: Int = 1, nodes: Int? = nil) throws -> ResourceRequest {
        let constraint = try JobConstraint(json: ConstraintQuery.parse(query))
        return ResourceRequest(nnodes: nodes, nslots: slots, coresPerSlot: 1, duration: 10, constraint: constraint)
    }

    /// The ranks a request gets on an empty cluster of 8 two-core nodes (n0...n7; n2, n3
    /// "bigmem"; n5 "ssd"), or nil.
    private func ranks(_ query: String, slots: Int = 1, nodes: Int? = nil, policy: MatchPolicy = .firstFit) throws -> [UInt32]? {
        var graph = ResourceGraph(graphCluster(8, cores: 2, properties: [2: ["bigmem"], 3: ["bigmem"], 5: ["ssd"]]))
        return graph.allocate(1, try request(query, slots: slots, nodes: nodes), now: 0, policy: policy)?.nodes.map(\.rank)
    }

    @Test(arguments: [
        ("host:n4", 1, [UInt32(4)]),
        ("hosts:n[6-7]", 2, [6, 7]),
        ("-host:n[0-6]", 1, [7]),
        ("rank:3", 1, [3]),
        ("ranks:5-7 -ssd", 2, [6, 7]),
        ("bigmem|ssd", 3, [2, 3, 5]),
        ("not (bigmem or ssd)", 2, [0, 1]),
        ("bigmem and -host:n2", 1, [3]),
        ("n1", 1, [1]),               // a host name is a property, as in flux-core
        ("^n0", 1, [1]),
    ])
    func selects(query: String, nodes: Int, expected: [UInt32]) throws {
        #expect(try ranks(query, slots: nodes, nodes: nodes) == expected)
    }

    @Test func highIDScanSkipsRuledOutNodes() throws {
        #expect(try ranks("rank:0-2", nodes: 1, policy: .highID) == [2])
        #expect(try ranks("rank:0-2", slots: 3, policy: .highID) == [1, 2])   // two cores a node
        #expect(try ranks("host:n0", policy: .highID) == [0])
        #expect(try ranks("host:n9", policy: .highID) == nil)
    }

    @Test func busyAllowedNodesWait() throws {
        var graph = ResourceGraph(graphCluster(4, cores: 1))
        #expect(graph.allocate(1, try request("rank:1"), now: 0, policy: .firstFit)?.nodes.map(\.rank) == [1])
        #expect(graph.allocate(2, try request("rank:1"), now: 0, policy: .firstFit) == nil)
        #expect(graph.earliestStart(try request("rank:1"), now: 0, policy: .firstFit)?.time == 10)
        graph.free(1)
        #expect(graph.allocate(2, try request("rank:1|rank:3", slots: 2), now: 0, policy: .firstFit)?.nodes.map(\.rank) == [1, 3])
    }

    @Test func sharedHostNameMatchesEveryBrokerOnIt() throws {
        let R = ResourceSet(nodes: (0..<3).map { rank in
            ResourceSet.Node(rank: UInt32(rank), hostname: "box", cores: IDSet(range: 0...0), gpus: IDSet(), properties: [])
        })
        var graph = ResourceGraph(R)
        #expect(graph.allocate(1, try request("host:box", slots: 3), now: 0, policy: .firstFit)?.nodes.map(\.rank) == [0, 1, 2])
    }

    @Test func emptyOperandsFollowFluxCore() {
        let graph = ResourceGraph(graphCluster(2, cores: 1))
        func feasible(_ constraint: JobConstraint) -> Bool {
            graph.infeasibility(ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, constraint: constraint)) == nil
        }
        #expect(feasible(.and([])))
        #expect(feasible(.or([])))
        #expect(!feasible(.not([])))
        #expect(!feasible(.hostlist(Hostlist())))
        #expect(!feasible(.ranks(IDSet())))
    }

    @Test func infeasibilityMessages() throws {
        let graph = ResourceGraph(graphCluster(4, cores: 4, properties: [2: ["bigmem"]]))
        #expect(graph.infeasibility(try request("host:x[1-2]"))
                == "no node satisfies the constraints {\"hostlist\":[\"x[1-2]\"]}")
        #expect(graph.infeasibility(try request("rank:0-1", slots: 3, nodes: 3))
                == "requests 3 nodes; the instance has 2 satisfying the constraints")
        #expect(graph.infeasibility(try request("n3 bigmem")) == "no node satisfies the properties \"n3\", \"bigmem\"")
        #expect(graph.infeasibility(try request("n3")) == nil)
    }
}
