// Matching on small graphs with the exact R expected: every policy, fragmentation,
// exclusive against shared, slots packed across nodes, node counts with slots per node,
// gpus per slot, properties, unavailable ranks, and free giving back exactly what was taken.
import FluxsFormats
import FluxsSched
import Testing

struct GraphMatchTests {
    @Test func firstFitTakesLowestRanksAndIDs() {
        var graph = ResourceGraph(graphCluster(4, cores: 4, gpus: 2))
        #expect(graph.nnodes == 4 && graph.ncores == 16 && graph.ngpus == 8)
        #expect(graph.allocate(1, graphSlots(1), now: 100, policy: .firstFit) == graphR([graphNode(0, cores: "0")], 100, 110))
        #expect(graph.allocate(2, graphSlots(2), now: 100, policy: .firstFit) == graphR([graphNode(0, cores: "1-2")], 100, 110))
        #expect(graph.allocate(3, graphSlots(2, nodes: 1), now: 100, policy: .firstFit) == graphR([graphNode(1, cores: "0-1")], 100, 110))
        // Without a node level the slots pack: one on n0's last core, one on n1.
        #expect(graph.allocate(4, graphSlots(2), now: 100, policy: .firstFit)
                == graphR([graphNode(0, cores: "3"), graphNode(1, cores: "2")], 100, 110))
    }

    @Test func highIDTakesHighestRanksAndIDs() {
        var graph = ResourceGraph(graphCluster(4, cores: 4, gpus: 2))
        #expect(graph.allocate(1, graphSlots(1, gpus: 1), now: 0, policy: .highID) == graphR([graphNode(3, cores: "3", gpus: "1")], 0, 10))
        #expect(graph.allocate(2, graphSlots(4), now: 0, policy: .highID)
                == graphR([graphNode(2, cores: "3"), graphNode(3, cores: "0-2")], 0, 10))
    }

    @Test func bestFitFillsTheTightestNode() {
        var graph = ResourceGraph(graphCluster(4, cores: 4))
        _ = graph.allocate(1, graphSlots(3), now: 0, policy: .firstFit)              // n0: 1 free
        _ = graph.allocate(2, graphSlots(2, nodes: 1), now: 0, policy: .firstFit)    // n1: 2 free
        #expect(graph.allocate(3, graphSlots(2, nodes: 1), now: 0, policy: .bestFit) == graphR([graphNode(1, cores: "2-3")], 0, 10))
        #expect(graph.allocate(4, graphSlots(1), now: 0, policy: .bestFit) == graphR([graphNode(0, cores: "3")], 0, 10))
        #expect(graph.allocate(5, graphSlots(1), now: 0, policy: .bestFit) == graphR([graphNode(2, cores: "0")], 0, 10))
        // Slots go to the most fragmented nodes first: n2 (3 free), then n3.
        #expect(graph.allocate(6, graphSlots(4), now: 0, policy: .bestFit)
                == graphR([graphNode(2, cores: "1-3"), graphNode(3, cores: "0")], 0, 10))
    }

    @Test func exclusivePoliciesGiveWholeNodes() {
        var graph = ResourceGraph(graphCluster(3, cores: 4, gpus: 2))
        #expect(graph.allocate(1, graphSlots(1), now: 0, policy: .firstFitExclusive)
                == graphR([graphNode(0, cores: "0-3", gpus: "0-1")], 0, 10))
        #expect(graph.allocate(2, graphSlots(1), now: 0, policy: .highIDExclusive)
                == graphR([graphNode(2, cores: "0-3", gpus: "0-1")], 0, 10))
        #expect(graph.allocate(3, graphSlots(5), now: 0, policy: .bestFitExclusive) == nil)   // only n1 is idle
        #expect(graph.allocate(4, graphSlots(3), now: 0, policy: .bestFitExclusive)
                == graphR([graphNode(1, cores: "0-3", gpus: "0-1")], 0, 10))
    }

    @Test func localityPrefersConsecutiveRanksAndFewNodes() {
        var graph = ResourceGraph(graphCluster(4, cores: 4))
        _ = graph.allocate(1, graphSlots(1, nodes: 1), now: 0, policy: .highID)       // n3 core 3
        _ = graph.allocate(2, graphSlots(1), now: 0, policy: .firstFit)              // n0 core 0
        _ = graph.allocate(3, graphSlots(1), now: 0, policy: .firstFit)              // n0 core 1
        _ = graph.allocate(4, graphSlots(2), now: 0, policy: .firstFit)              // n0 cores 2-3
        #expect(graph.allocation(of: 4) == graphR([graphNode(0, cores: "2-3")], 0, 10))
        graph.free(2)                                                          // n0: core 0 free
        // Two nodes of 2 cores each: n0 has 1 free; n1 and n2 are a run.
        #expect(graph.allocate(5, graphSlots(4, cores: 1, nodes: 2), now: 0, policy: .locality)
                == graphR([graphNode(1, cores: "0-1"), graphNode(2, cores: "0-1")], 0, 10))
        // Three slots: the tightest node holding all three is n3 (3 free), not n0 + n1.
        #expect(graph.allocate(6, graphSlots(3), now: 0, policy: .locality) == graphR([graphNode(3, cores: "0-2")], 0, 10))
        // First fit for the same request would split it.
        var other = graph
        other.free(6)
        #expect(other.allocate(7, graphSlots(3), now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "0"), graphNode(1, cores: "2-3")], 0, 10))
    }

    @Test func localityFindsARunOfConsecutiveIdleNodes() {
        var graph = ResourceGraph(graphCluster(5, cores: 2, properties: [1: ["mid"]]))
        _ = graph.allocate(1, graphSlots(1, properties: ["mid"]), now: 0, policy: .firstFit)   // n1 busy
        let request = graphSlots(2, nodes: 2, exclusive: true)
        var other = graph
        #expect(other.allocate(2, request, now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "0-1"), graphNode(2, cores: "0-1")], 0, 10))
        #expect(graph.allocate(2, request, now: 0, policy: .locality)
                == graphR([graphNode(2, cores: "0-1"), graphNode(3, cores: "0-1")], 0, 10))
        // No run of three idle nodes is left: locality falls back to first fit.
        graph.free(1)
        #expect(graph.allocate(3, graphSlots(3, nodes: 3, exclusive: true), now: 0, policy: .locality)
                == graphR([graphNode(0, cores: "0-1"), graphNode(1, cores: "0-1", properties: ["mid"]), graphNode(4, cores: "0-1")], 0, 10))
    }

    @Test func fragmentedCoresAreUsedAsTheyAre() {
        var graph = ResourceGraph(graphCluster(2, cores: 4))
        for job in UInt64(1)...4 { _ = graph.allocate(JobID(job), graphSlots(1), now: 0, policy: .firstFit) }
        #expect(graph.allocation(of: 4) == graphR([graphNode(0, cores: "3")], 0, 10))
        graph.free(1)
        graph.free(3)
        #expect(graph.allocate(5, graphSlots(2, nodes: 1), now: 0, policy: .firstFit) == graphR([graphNode(0, cores: "0,2")], 0, 10))
        #expect(graph.allocate(6, graphSlots(4, nodes: 1), now: 0, policy: .firstFit) == graphR([graphNode(1, cores: "0-3")], 0, 10))
        #expect(graph.allocate(7, graphSlots(1), now: 0, policy: .firstFit) == nil)
    }

    @Test func exclusiveNeverSharesANode() {
        var graph = ResourceGraph(graphCluster(2, cores: 4))
        _ = graph.allocate(1, graphSlots(1), now: 0, policy: .firstFit)
        #expect(graph.allocate(2, graphSlots(1, nodes: 1, exclusive: true), now: 0, policy: .firstFit)
                == graphR([graphNode(1, cores: "0-3")], 0, 10))
        #expect(graph.allocate(3, graphSlots(1, nodes: 1, exclusive: true), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(4, graphSlots(1), now: 0, policy: .firstFit) == graphR([graphNode(0, cores: "1")], 0, 10))
        graph.free(1)
        graph.free(4)
        #expect(graph.allocate(3, graphSlots(1, nodes: 1, exclusive: true), now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "0-3")], 0, 10))
    }

    @Test func slotsPackAcrossNodesWithoutANodeLevel() {
        var graph = ResourceGraph(graphCluster(3, cores: 4))
        #expect(graph.allocate(1, graphSlots(3, cores: 2), now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "0-3"), graphNode(1, cores: "0-1")], 0, 10))
        // A slot never spans nodes: n1 has room for one more 2-core slot.
        #expect(graph.allocate(2, graphSlots(2, cores: 2), now: 0, policy: .firstFit)
                == graphR([graphNode(1, cores: "2-3"), graphNode(2, cores: "0-1")], 0, 10))
    }

    @Test func nodeCountsSpreadSlotsPerNode() {
        var graph = ResourceGraph(graphCluster(3, cores: 4))
        _ = graph.allocate(1, graphSlots(3), now: 0, policy: .firstFit)             // n0: 1 free
        #expect(graph.allocate(2, graphSlots(4, nodes: 2), now: 0, policy: .firstFit)
                == graphR([graphNode(1, cores: "0-1"), graphNode(2, cores: "0-1")], 0, 10))
        #expect(graph.allocate(3, graphSlots(6, nodes: 3), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(4, graphSlots(3, nodes: 3), now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "3"), graphNode(1, cores: "2"), graphNode(2, cores: "2")], 0, 10))
    }

    @Test func gpusPerSlot() {
        var graph = ResourceGraph(graphCluster(2, cores: 4, gpus: 2))
        #expect(graph.allocate(1, graphSlots(3, gpus: 1), now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "0-1", gpus: "0-1"), graphNode(1, cores: "0", gpus: "0")], 0, 10))
        // Cores remain on n0 but no gpus: a gpu slot goes to n1.
        #expect(graph.allocate(2, graphSlots(1, gpus: 1), now: 0, policy: .firstFit) == graphR([graphNode(1, cores: "1", gpus: "1")], 0, 10))
        #expect(graph.allocate(3, graphSlots(1, gpus: 1), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(4, graphSlots(2), now: 0, policy: .firstFit) == graphR([graphNode(0, cores: "2-3")], 0, 10))
    }

    @Test func propertiesRestrictNodes() {
        let R = graphCluster(4, cores: 2, properties: [2: ["bigmem"], 3: ["bigmem", "ssd"]])
        var graph = ResourceGraph(R)
        #expect(graph.allocate(1, graphSlots(1, properties: ["bigmem"]), now: 0, policy: .firstFit)
                == graphR([graphNode(2, cores: "0", properties: ["bigmem"])], 0, 10))
        #expect(graph.allocate(2, graphSlots(1, properties: ["^bigmem"]), now: 0, policy: .highID)
                == graphR([graphNode(1, cores: "1")], 0, 10))
        #expect(graph.allocate(3, graphSlots(3, properties: ["bigmem", "ssd"]), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(4, graphSlots(2, properties: ["ssd"]), now: 0, policy: .firstFit)
                == graphR([graphNode(3, cores: "0-1", properties: ["bigmem", "ssd"])], 0, 10))
        #expect(graph.allocate(5, graphSlots(1, properties: ["nosuch"]), now: 0, policy: .firstFit) == nil)
    }

    @Test func unavailableRanksAreNeverAllocated() {
        var graph = ResourceGraph(graphCluster(4, cores: 2))
        graph.setUnavailable([0, 1, 9])
        #expect(graph.unavailable == [0, 1])
        #expect(graph.allocate(1, graphSlots(1), now: 0, policy: .firstFit) == graphR([graphNode(2, cores: "0")], 0, 10))
        #expect(graph.allocate(2, graphSlots(3, nodes: 3), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(3, graphSlots(4), now: 0, policy: .bestFit) == nil)
        #expect(graph.earliestStart(graphSlots(3, nodes: 3), now: 0, policy: .firstFit) == nil)
        #expect(graph.freeNow == ResourceSet(nodes: [graphNode(2, cores: "1"), graphNode(3, cores: "0-1")]))
        graph.setUnavailable([])
        #expect(graph.allocate(2, graphSlots(3, nodes: 3), now: 0, policy: .firstFit)
                == graphR([graphNode(0, cores: "0"), graphNode(1, cores: "0"), graphNode(2, cores: "1")], 0, 10))
    }

    @Test func freeGivesBackExactlyAndAllocatedAddsUp() {
        var graph = ResourceGraph(graphCluster(2, cores: 4, gpus: 2))
        let empty = graph.freeNow
        _ = graph.allocate(1, graphSlots(2, gpus: 1), now: 0, policy: .firstFit)
        _ = graph.allocate(2, graphSlots(1, nodes: 1, exclusive: true), now: 0, policy: .firstFit)
        #expect(graph.allocated == ResourceSet(nodes: [graphNode(0, cores: "0-1", gpus: "0-1"), graphNode(1, cores: "0-3", gpus: "0-1")]))
        #expect(graph.allocate(1, graphSlots(1), now: 0, policy: .firstFit) == nil)     // job 1 already holds resources
        graph.free(2)
        graph.free(1)
        graph.free(1)
        #expect(graph.freeNow == empty)
        #expect(graph.allocated == ResourceSet())
        #expect(graph.freeCoreCount == 8 && graph.freeGpuCount == 4 && graph.runningJobCount == 0)
    }

    @Test func defaultDurationAppliesToZero() {
        var graph = ResourceGraph(graphCluster(1, cores: 1))
        graph.defaultDuration = 60
        #expect(graph.allocate(1, graphSlots(1, duration: 0), now: 5, policy: .firstFit) == graphR([graphNode(0, cores: "0")], 5, 65))
    }

    @Test func wideNodesUseSeveralWords() {
        let R = ResourceSet(nodes: [ResourceSet.Node(rank: 0, hostname: "n0", cores: IDSet(range: 0...129)),
                                    ResourceSet.Node(rank: 1, hostname: "n1", cores: [1, 5, 9])])
        var graph = ResourceGraph(R)
        #expect(graph.allocate(1, graphSlots(100), now: 0, policy: .firstFit) == graphR([graphNode(0, cores: "0-99")], 0, 10))
        #expect(graph.allocate(2, graphSlots(31), now: 0, policy: .highID)
                == graphR([graphNode(0, cores: "102-129"), graphNode(1, cores: "1,5,9")], 0, 10))
        #expect(graph.allocate(3, graphSlots(2, nodes: 1), now: 0, policy: .firstFit) == graphR([graphNode(0, cores: "100-101")], 0, 10))
        #expect(graph.freeCoreCount == 0)
    }

    @Test func largeExclusiveJobs() {
        var graph = ResourceGraph(graphCluster(1024, cores: 64, gpus: 4))
        let R = graph.allocate(1, graphSlots(1000, cores: 64, nodes: 1000, exclusive: true), now: 0, policy: .firstFit)
        #expect(R?.nnodes == 1000 && R?.ncores == 64_000 && R?.ngpus == 4000)
        #expect(graph.allocate(2, graphSlots(25, nodes: 25, exclusive: true), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(3, graphSlots(24, nodes: 24, exclusive: true), now: 0, policy: .highID)?.ranks
                == IDSet(range: 1000...1023))
    }
}
