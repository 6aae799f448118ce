// Tests of the queue policies on a one-node, four-core machine: queue order, fcfs blocking,
// EASY backfill (allowed only when it cannot delay the reservation), and the reservations of
// hybrid and conservative. Job 100 is a 4-core "wall" job that holds the machine until t=100.
import FluxsFormats
import Testing
@testable import FluxsSched

@Suite struct SchedulerPolicyTests {
    /// A scheduler whose whole machine is held by job 100 from t=0 until t=100.
    private func busyScheduler(_ policy: QueuePolicy) -> Scheduler {
        var scheduler = Scheduler(resources: machine(), queuePolicy: policy)
        scheduler.submitAll([job(100, cores: 4, duration: 100)])
        #expect(scheduler.schedule(now: 0).allocated == [100])
        return scheduler
    }

    @Test func startsJobsInPriorityOrder() {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .fcfs)
        scheduler.submitAll([job(1, cores: 4, duration: 10, priority: 10, submit: 0),
                             job(2, cores: 4, duration: 10, priority: 20, submit: 2),
                             job(3, cores: 4, duration: 10, priority: 20, submit: 1)])
        var started: [JobID] = []
        for now in [0.0, 10, 20] {
            started += scheduler.schedule(now: now).allocated
            if let last = started.last { scheduler.free(last) }
        }
        #expect(started == [3, 2, 1])
    }

    @Test func fcfsStartsNothingBehindABlockedJob() throws {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .fcfs)
        scheduler.submitAll([job(100, cores: 3, duration: 100)])
        _ = scheduler.schedule(now: 0)
        scheduler.submitAll([job(1, cores: 4, duration: 10), job(2, cores: 1, duration: 10)])
        let decisions = scheduler.schedule(now: 1)
        #expect(decisions.allocated.isEmpty)
        let notes = decisions.annotations
        #expect(notes[1]?.reason == "insufficient resources")
        #expect(notes[1]?.estimatedStart == 100)
        #expect(notes[2]?.reason == "behind job ƒ2 (fcfs)")
        // A job arriving later waits behind the same head.
        scheduler.submitAll([job(3, cores: 1, duration: 1)])
        #expect(scheduler.schedule(now: 2).annotations[3]?.reason == "behind job ƒ2 (fcfs)")
        scheduler.free(100)
        #expect(scheduler.schedule(now: 50).allocated == [1])
    }

    @Test func easyBackfillsAShortJobThatEndsBeforeTheReservation() {
        var scheduler = busyScheduler(.easy)
        scheduler.free(100)
        scheduler.submitAll([job(101, cores: 3, duration: 100)])
        #expect(scheduler.schedule(now: 0).allocated == [101])  // one core idle until t=100
        scheduler.submitAll([job(1, cores: 4, duration: 50), job(2, cores: 1, duration: 150), job(3, cores: 1, duration: 60)])
        let decisions = scheduler.schedule(now: 10)
        #expect(decisions.allocated == [3])  // ends at 70, before job 1's reservation at 100
        #expect(decisions.annotations[1]?.estimatedStart == 100)
        #expect(decisions.annotations[1]?.reason == "reserved at 100.0")
        #expect(decisions.annotations[2]?.reason == "insufficient resources")  // would delay job 1
    }

    @Test func easyNeverDelaysTheReservationByBackfill() {
        var scheduler = busyScheduler(.easy)
        scheduler.submitAll([job(1, cores: 4, duration: 50)])
        let reserved = scheduler.schedule(now: 0).annotations[1]?.estimatedStart
        #expect(reserved == 100)
        // A stream of candidates of every length: none may push job 1 later.
        var id: UInt64 = 2
        for now in stride(from: 1.0, through: 99, by: 7) {
            scheduler.submitAll([job(id, cores: 1 + Int(id % 4), duration: Double(id * 13 % 120))])
            id += 1
            let decisions = scheduler.schedule(now: now)
            if let estimate = decisions.annotations[1]?.estimatedStart { #expect(estimate <= 100) }
        }
        scheduler.free(100)
        #expect(scheduler.schedule(now: 100).allocated.first == 1)
    }

    @Test(arguments: [
        (QueuePolicy.easy, [1: 100.0, 2: nil, 3: nil] as [UInt64: Double?]),
        (.hybrid(reservationDepth: 2), [1: 100, 2: 200, 3: nil]),
        (.conservative, [1: 100, 2: 200, 3: 300]),
    ])
    func reservationsFollowTheDepth(policy: QueuePolicy, expected: [UInt64: Double?]) {
        var scheduler = busyScheduler(policy)
        scheduler.submitAll([job(1, cores: 4, duration: 100), job(2, cores: 4, duration: 100), job(3, cores: 4, duration: 100)])
        let notes = scheduler.schedule(now: 0).annotations
        for (id, start) in expected {
            #expect(notes[JobID(id)]?.estimatedStart == start, "job \(id)")
            #expect(notes[JobID(id)]?.reason == (start.map { "reserved at \($0)" } ?? "insufficient resources"), "job \(id)")
        }
    }

    @Test func conservativeBackfillsAroundEveryReservation() {
        var scheduler = busyScheduler(.conservative)
        scheduler.free(100)
        scheduler.submitAll([job(101, cores: 2, duration: 100)])
        _ = scheduler.schedule(now: 0)
        // Job 1 (4 cores) is reserved at 100, job 2 (4 cores) at 200 after it: a 2-core job
        // of 50 s still fits now, a 2-core job of 150 s does not.
        scheduler.submitAll([job(1, cores: 4, duration: 100), job(2, cores: 4, duration: 100),
                             job(3, cores: 2, duration: 50), job(4, cores: 2, duration: 150)])
        let decisions = scheduler.schedule(now: 0)
        #expect(decisions.allocated == [3])
        #expect(decisions.annotations[4]?.estimatedStart.map { $0 >= 200 } == true)
    }

    @Test func reservationsAreKeptWhenNothingChanged() {
        var scheduler = busyScheduler(.easy)
        scheduler.submitAll([job(1, cores: 4, duration: 100)])
        #expect(!scheduler.schedule(now: 0).isEmpty)
        #expect(scheduler.nextWakeup == 100)
        #expect(scheduler.schedule(now: 10).isEmpty)
        scheduler.submitAll([job(2, cores: 4, duration: 100)])
        let decisions = scheduler.schedule(now: 20)
        #expect(decisions.count == 1 && decisions.annotations[2]?.reason == "insufficient resources")
    }

    @Test func anEarlyEndMovesTheReservationEarlier() {
        var scheduler = busyScheduler(.easy)
        scheduler.submitAll([job(1, cores: 4, duration: 100), job(2, cores: 4, duration: 10)])
        _ = scheduler.schedule(now: 0)
        scheduler.free(100)  // planned to end at 100, ends at 30
        #expect(scheduler.schedule(now: 30).allocated == [1])
        let notes = scheduler.schedule(now: 31).annotations
        #expect(notes.isEmpty)  // job 2 was re-reserved at 130 in the pass at 30
        #expect(scheduler.nextWakeup == 130)
    }
}
