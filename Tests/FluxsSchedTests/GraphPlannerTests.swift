// The planner: earliest start with running jobs and reservations, backfill around a
// reservation, a job's own reservation, jobs running past their end (never double-booked),
// and restoring allocations after a restart.
import FluxsFormats
import FluxsMessage
import FluxsSched
import Glibc
import Testing

struct GraphPlannerTests {
    /// Two 4-core nodes: job 1 holds n0 over [0, 100), job 2 holds n1 cores 0-1 over [0, 50).
    private func busy() -> ResourceGraph {
        var graph = ResourceGraph(graphCluster(2, cores: 4))
        _ = graph.allocate(1, graphSlots(1, nodes: 1, exclusive: true, duration: 100), now: 0, policy: .firstFit)
        _ = graph.allocate(2, graphSlots(2, nodes: 1, duration: 50), now: 0, policy: .firstFit)
        return graph
    }

    @Test func earliestStartNowWhenItFits() {
        let graph = busy()
        let start = graph.earliestStart(graphSlots(2), now: 10, policy: .firstFit)
        #expect(start?.time == 10)
        #expect(start?.R == graphR([graphNode(1, cores: "2-3")], 10, 20))
    }

    @Test func earliestStartWaitsForRunningJobs() {
        let graph = busy()
        let both = graph.earliestStart(graphSlots(2, nodes: 2, exclusive: true), now: 10, policy: .firstFit)
        #expect(both?.time == 100)
        #expect(both?.R == graphR([graphNode(0, cores: "0-3"), graphNode(1, cores: "0-3")], 100, 110))
        let four = graph.earliestStart(graphSlots(4), now: 10, policy: .firstFit)
        #expect(four?.time == 50)
        #expect(four?.R == graphR([graphNode(1, cores: "0-3")], 50, 60))
        #expect(graph.earliestStart(graphSlots(9), now: 10, policy: .firstFit) == nil)
    }

    @Test func backfillRespectsReservations() {
        var graph = busy()
        let start = graph.earliestStart(graphSlots(4), now: 10, policy: .firstFit)!
        graph.reserve(3, start.R, at: start.time, duration: 10)
        #expect(graph.reservation(of: 3)?.at == 50)
        // Would overlap the reservation on its cores: refused; a short job fits before it.
        #expect(graph.allocate(4, graphSlots(1, duration: 100), now: 10, policy: .firstFit) == nil)
        #expect(graph.allocate(5, graphSlots(1, duration: 30), now: 10, policy: .firstFit) == graphR([graphNode(1, cores: "2")], 10, 40))
        // A long job can start only once the reservation's window has passed.
        let long = graph.earliestStart(graphSlots(1, duration: 100), now: 10, policy: .firstFit)
        #expect(long?.time == 60)
        #expect(long?.R == graphR([graphNode(1, cores: "0")], 60, 160))
        // The reserved job itself is not blocked by its own booking.
        #expect(graph.earliestStart(graphSlots(4), now: 10, policy: .firstFit, ignoring: 3)?.time == 50)
        #expect(graph.earliestStart(graphSlots(4), now: 10, policy: .firstFit)?.time == 60)
        graph.cancelReservation(3)
        #expect(graph.reservation(of: 3) == nil)
        #expect(graph.allocate(4, graphSlots(1, duration: 100), now: 10, policy: .firstFit) == graphR([graphNode(1, cores: "3")], 10, 110))
    }

    @Test func ownReservationIsUsedThenCancelled() {
        var graph = ResourceGraph(graphCluster(1, cores: 2))
        graph.reserve(7, ResourceSet(nodes: [graphNode(0, cores: "0-1")]), at: 5, duration: 10)
        #expect(graph.allocate(8, graphSlots(1), now: 0, policy: .firstFit) == nil)
        #expect(graph.allocate(7, graphSlots(2), now: 5, policy: .firstFit) == graphR([graphNode(0, cores: "0-1")], 5, 15))
        #expect(graph.reservedJobs.isEmpty)
    }

    @Test func overrunningJobsAreNeverDoubleBooked() {
        var graph = ResourceGraph(graphCluster(1, cores: 4))
        _ = graph.allocate(1, graphSlots(4), now: 0, policy: .firstFit)              // planned end 10
        let start = graph.earliestStart(graphSlots(2), now: 20, policy: .firstFit)
        #expect(start?.time == 21)
        #expect(start?.R == graphR([graphNode(0, cores: "0-1")], 21, 31))
        graph.overrunGrace = 5
        #expect(graph.earliestStart(graphSlots(2), now: 20, policy: .firstFit)?.time == 25)
        graph.reserve(2, start!.R, at: 21, duration: 10)
        // Still running at 30: nothing can be allocated, whatever the reservation says.
        #expect(graph.allocate(2, graphSlots(2), now: 30, policy: .firstFit) == nil)
        #expect(graph.allocate(3, graphSlots(1), now: 30, policy: .firstFit) == nil)
        graph.free(1)
        #expect(graph.allocate(3, graphSlots(1, duration: 1000), now: 30, policy: .firstFit) == graphR([graphNode(0, cores: "2")], 30, 1030))
        #expect(graph.allocate(2, graphSlots(2), now: 30, policy: .firstFit) == graphR([graphNode(0, cores: "0-1")], 30, 40))
    }

    @Test func restoreTakesWhatRNames() throws {
        var graph = ResourceGraph(graphCluster(2, cores: 4, gpus: 1))
        let R = graphR([graphNode(0, cores: "0-1", gpus: "0")], 0, 100)
        try graph.restore(1, R)
        #expect(graph.allocation(of: 1) == R)
        #expect(graph.allocate(2, graphSlots(3, nodes: 1), now: 1, policy: .firstFit) == graphR([graphNode(1, cores: "0-2")], 1, 11))
        #expect(throws: ServiceError(EBUSY, "job ƒ4: resources on rank 0 are already allocated")) {
            try graph.restore(3, ResourceSet(nodes: [graphNode(0, cores: "1-2")]))
        }
        #expect(throws: ServiceError(EEXIST, "job ƒ2 already holds resources")) { try graph.restore(1, R) }
        #expect(throws: ServiceError(ENOENT, "job ƒ4: R names rank 7, which this instance lacks")) {
            try graph.restore(3, ResourceSet(nodes: [graphNode(7, cores: "0")]))
        }
        #expect(throws: ServiceError(ENOENT, "job ƒ4: R names cores or gpus of rank 0 that this instance lacks")) {
            try graph.restore(3, ResourceSet(nodes: [graphNode(0, cores: "9")]))
        }
        #expect(graph.allocation(of: 3) == nil)
        // Without an expiration the job counts as running past its end.
        try graph.restore(4, ResourceSet(nodes: [graphNode(0, cores: "2-3")]))
        #expect(graph.earliestStart(graphSlots(2, nodes: 1), now: 50, policy: .firstFit)?.time == 51)
        graph.free(1)
        graph.free(4)
        graph.free(2)
        #expect(graph.freeNow == graphCluster(2, cores: 4, gpus: 1))
    }
}
