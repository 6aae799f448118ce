// Infeasibility: the exact message for each way a request can never fit, independent of
// what is allocated or down; and requests read from jobspecs (constraints included).
import FluxsFormats
import FluxsMessage
import FluxsSched
import Glibc
import Testing

struct GraphFeasibilityTests {
    @Test func messagesAreExact() {
        var graph = ResourceGraph(graphCluster(4, cores: 4, properties: [2: ["bigmem"], 3: ["bigmem"]]))
        #expect(graph.infeasibility(graphSlots(5, nodes: 5)) == "requests 5 nodes; the instance has 4")
        #expect(graph.infeasibility(graphSlots(1, cores: 8)) == "a slot needs 8 cores; the largest node has 4")
        #expect(graph.infeasibility(graphSlots(1, gpus: 1)) == "requests gpus; the instance has none")
        #expect(graph.infeasibility(graphSlots(1, properties: ["ssd"])) == "no node has property \"ssd\"")
        #expect(graph.infeasibility(graphSlots(3, nodes: 3, properties: ["bigmem"]))
                == "requests 3 nodes; the instance has 2 with the requested properties")
        #expect(graph.infeasibility(graphSlots(6, cores: 2, nodes: 2)) == "requests 2 nodes with 6 cores each; only 0 nodes have that many")
        #expect(graph.infeasibility(graphSlots(9, cores: 2)) == "requests 9 slots of 2 cores; the instance holds at most 8")
        #expect(graph.infeasibility(graphSlots(0)) == "requests no slots")
        #expect(graph.infeasibility(graphSlots(1, cores: 0)) == "a slot needs at least one core")
        #expect(graph.infeasibility(graphSlots(3, nodes: 2)) == "requests 3 slots on 2 nodes; slots must divide evenly among nodes")
        #expect(graph.infeasibility(graphSlots(1, properties: ["^bigmem", "bigmem"])) == "no node satisfies the properties \"^bigmem\", \"bigmem\"")
        // Feasible requests: nil, whatever is allocated or down.
        graph.setUnavailable([0, 1, 2, 3])
        #expect(graph.infeasibility(graphSlots(16)) == nil)
        #expect(graph.infeasibility(graphSlots(4, cores: 4, nodes: 4, exclusive: true)) == nil)
        #expect(graph.infeasibility(graphSlots(2, cores: 4, properties: ["bigmem"])) == nil)
    }

    @Test func emptyInstance() {
        var graph = ResourceGraph(ResourceSet())
        #expect(graph.nnodes == 0 && graph.ncores == 0)
        #expect(graph.infeasibility(graphSlots(1)) == "the instance has no nodes")
        #expect(graph.allocate(1, graphSlots(1), now: 0, policy: .firstFit) == nil)
        #expect(graph.earliestStart(graphSlots(1), now: 0, policy: .highID) == nil)
        #expect(graph.freeNow == ResourceSet())
    }

    @Test func gpuMessages() {
        let R = ResourceSet(nodes: [ResourceSet.Node(rank: 0, hostname: "n0", cores: IDSet(range: 0...7)),
                                    ResourceSet.Node(rank: 1, hostname: "n1", cores: [0, 1], gpus: [0, 1])])
        let graph = ResourceGraph(R)
        #expect(graph.infeasibility(graphSlots(1, gpus: 3)) == "a slot needs 3 gpus; the largest node has 2")
        #expect(graph.infeasibility(graphSlots(1, cores: 4, gpus: 1)) == "a slot needs 4 cores and 1 gpu; no node has both")
        #expect(graph.infeasibility(graphSlots(2, gpus: 2, nodes: 1)) == "requests 1 node with 2 cores and 4 gpus each; only 0 nodes have that many")
        #expect(graph.infeasibility(graphSlots(3, gpus: 1)) == "requests 3 slots of 1 core and 1 gpu; the instance holds at most 2")
        #expect(graph.infeasibility(graphSlots(2, gpus: 1)) == nil)
    }

    @Test func requestFromJobspec() throws {
        let spec = try JobspecRequest(command: ["true"], ntasks: 4, nnodes: 2, coresPerTask: 2, gpusPerTask: 1, duration: 60).build()
        #expect(try ResourceRequest(jobspec: spec)
                == ResourceRequest(nnodes: 2, nslots: 4, coresPerSlot: 2, gpusPerSlot: 1, exclusive: false, duration: 60))
        let whole = try JobspecRequest(command: ["true"], nnodes: 3).build()
        #expect(try ResourceRequest(jobspec: whole) == ResourceRequest(nnodes: 3, nslots: 3, coresPerSlot: 1, exclusive: true))
        var constrained = try JobspecRequest(command: ["true"], ntasks: 2).build()
        try constrained.setAttribute("system.constraints",
                                     ["and": [["properties": ["bigmem"]], ["properties": ["^slow", "ssd"]]]])
        #expect(try ResourceRequest(jobspec: constrained).properties == ["bigmem", "^slow", "ssd"])
        try constrained.setAttribute("system.constraints", ["or": [["properties": ["a"]], ["properties": ["b"]]]])
        #expect(try ResourceRequest(jobspec: constrained).constraint == .or([.properties(["a"]), .properties(["b"])]))
        try constrained.setAttribute("system.constraints", ["foo": ["a"]])
        #expect(throws: ServiceError(EINVAL, "constraints: unknown constraint operator: foo")) {
            try ResourceRequest(jobspec: constrained)
        }
        try constrained.setAttribute("system.constraints", ["not": [["properties": [""]]]])
        #expect(throws: ServiceError(EINVAL, "constraints: properties must be an array of non-empty strings")) {
            try ResourceRequest(jobspec: constrained)
        }
        try constrained.setAttribute("system.constraints", [:])
        #expect(try ResourceRequest(jobspec: constrained).constraint == nil)
    }
}
