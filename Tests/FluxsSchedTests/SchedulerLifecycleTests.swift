// Tests of the scheduler's requests other than a plain pass: cancel, prioritize, free,
// denial of infeasible jobs at submit, overrunning jobs, restore after a restart, ranks
// going down, default durations, and annotations that are sent only when they change.
import FluxsFormats
import FluxsMessage
import Testing
@testable import FluxsSched

@Suite struct SchedulerLifecycleTests {
    /// An EASY scheduler whose machine (one node, four cores) is held until t=100, with
    /// jobs 1, 2, 3 (four cores, 100 s each) queued: job 1 reserved at 100.
    private func queuedScheduler() -> Scheduler {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .easy)
        scheduler.submitAll([job(100, cores: 4, duration: 100)])
        _ = scheduler.schedule(now: 0)
        scheduler.submitAll([job(1, cores: 4, duration: 100), job(2, cores: 4, duration: 100), job(3, cores: 4, duration: 100)])
        #expect(scheduler.schedule(now: 0).annotations[1]?.estimatedStart == 100)
        return scheduler
    }

    @Test func cancellingTheReservedJobPassesTheReservationOn() {
        var scheduler = queuedScheduler()
        scheduler.cancel(1)
        scheduler.cancel(12345)  // unknown: ignored
        #expect(scheduler.pendingCount == 2)
        let notes = scheduler.schedule(now: 1).annotations
        #expect(notes[2]?.estimatedStart == 100)
        #expect(notes[1] == nil)
    }

    @Test func prioritizingAJobAheadTakesTheReservation() {
        var scheduler = queuedScheduler()
        scheduler.prioritize(3, priority: 1000)
        let notes = scheduler.schedule(now: 1).annotations
        #expect(notes[3]?.estimatedStart == 100)
        #expect(notes[1]?.reason == "insufficient resources")
        scheduler.free(100)
        #expect(scheduler.schedule(now: 100).allocated == [3])
    }

    @Test func infeasibleJobsAreDeniedAtSubmitWithTheGraphsReason() throws {
        var scheduler = Scheduler(resources: machine(nodes: 2, cores: 4))
        let tooBig = job(1, cores: 9, duration: 10)
        let reason = try #require(ResourceGraph(machine(nodes: 2, cores: 4)).infeasibility(tooBig.request))
        #expect(scheduler.submit(tooBig) == [.deny(job: 1, reason: reason)])
        let wideSlot = PendingJob(id: 2, submitTime: 0, request: ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 8))
        #expect(scheduler.submit(wideSlot).first.map { if case .deny = $0 { true } else { false } } == true)
        #expect(scheduler.pendingCount == 0)
    }

    @Test func aDuplicateIDIsDenied() {
        var scheduler = Scheduler(resources: machine())
        scheduler.submitAll([job(1, cores: 1, duration: 10)])
        #expect(scheduler.submit(job(1, cores: 1, duration: 10)) == [.deny(job: 1, reason: "job ƒ2 is already known to the scheduler")])
        _ = scheduler.schedule(now: 0)
        #expect(scheduler.submit(job(1, cores: 1, duration: 10)).count == 1)
    }

    @Test func anOverrunningJobIsNotDoubleBooked() {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .easy)
        scheduler.submitAll([job(100, cores: 4, duration: 10)])
        _ = scheduler.schedule(now: 0)
        scheduler.submitAll([job(1, cores: 4, duration: 10), job(2, cores: 1, duration: 5)])
        for now in [20.0, 30, 45] {
            let decisions = scheduler.schedule(now: now)
            #expect(decisions.allocated.isEmpty, "nothing may start on the cores job 100 still holds at \(now)")
            if let start = decisions.annotations[1]?.estimatedStart { #expect(start >= now) }
        }
        scheduler.free(100)
        #expect(scheduler.schedule(now: 50).allocated == [1])
    }

    @Test func restoredAllocationsHoldTheirResources() throws {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .easy)
        let held = ResourceSet(nodes: [ResourceSet.Node(rank: 0, hostname: "node0", cores: [0, 1])], starttime: 0, expiration: 100)
        try scheduler.restore(running: [(7, held)])
        #expect(scheduler.runningCount == 1)
        scheduler.submitAll([job(1, cores: 4, duration: 10), job(2, cores: 2, duration: 10)])
        let decisions = scheduler.schedule(now: 1)
        #expect(decisions.allocated == [2])
        #expect(decisions.annotations[1]?.estimatedStart == 100)
        scheduler.free(7)
        scheduler.free(2)
        #expect(scheduler.schedule(now: 20).allocated == [1])
    }

    @Test func jobsOnlyDownRanksCouldRunAreAnnotatedAndStartWhenTheyReturn() {
        var scheduler = Scheduler(resources: machine(nodes: 2, cores: 4), queuePolicy: .easy)
        scheduler.setUnavailable([0, 1])
        scheduler.submitAll([job(1, cores: 4, duration: 10)])
        let decisions = scheduler.schedule(now: 0)
        #expect(decisions.allocated.isEmpty)
        #expect(decisions.annotations[1]?.reason == "only down or drained nodes could run it")
        scheduler.setUnavailable([])
        #expect(scheduler.schedule(now: 1).allocated == [1])
    }

    @Test func aJobWithoutDurationGetsTheDefault() throws {
        var scheduler = Scheduler(resources: machine(), defaultDuration: 600)
        scheduler.submitAll([job(1, cores: 1, duration: 0)])
        let decision = try #require(scheduler.schedule(now: 50).first)
        guard case .allocate(_, let R) = decision else { Issue.record("expected an allocation"); return }
        #expect(R.starttime == 50)
        #expect(R.expiration == 650)
        #expect(R.ncores == 1)
    }

    @Test func annotationsAreSentOnlyWhenTheyChange() {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .easy)
        scheduler.submitAll([job(100, cores: 4, duration: 100, priority: 20), job(1, cores: 4, duration: 10), job(2, cores: 4, duration: 10)])
        let first = scheduler.schedule(now: 0)
        #expect(first.allocated == [100])
        #expect(first.annotations.count == 2)
        #expect(scheduler.schedule(now: 1).isEmpty)
        scheduler.free(100)
        // Job 1 starts (no annotation for it); job 2 moves from no estimate to a reservation.
        let after = scheduler.schedule(now: 40)
        #expect(after.allocated == [1])
        #expect(after.annotations.keys.sorted() == [2])
        #expect(after.annotations[2]?.estimatedStart == 50)
        #expect(scheduler.runningCount == 1 && scheduler.pendingCount == 1)
    }
}
