// Scheduler.setExpiration (sched.expiration): a running job's end moved by a duration
// update, and the reservations of the jobs behind it following it.
import FluxsFormats
import FluxsMessage
import Glibc
import Testing
@testable import FluxsSched

@Suite struct SchedulerExpirationTests {
    /// One four-core node held by job 100 (100 s from t=0), job 1 (four cores) reserved
    /// behind it.
    private func held() -> Scheduler {
        var scheduler = Scheduler(resources: machine(), queuePolicy: .easy)
        scheduler.submitAll([job(100, cores: 4, duration: 100)])
        _ = scheduler.schedule(now: 0)
        scheduler.submitAll([job(1, cores: 4, duration: 10)])
        #expect(scheduler.schedule(now: 0).annotations[1]?.estimatedStart == 100)
        return scheduler
    }

    @Test func aLongerEndMovesTheReservationLater() throws {
        var scheduler = held()
        try scheduler.setExpiration(100, 250)
        #expect(scheduler.resources.plannedEnd(of: 100) == 250)
        #expect(scheduler.resources.allocation(of: 100)?.expiration == 250)
        #expect(scheduler.schedule(now: 1).annotations[1]?.estimatedStart == 250)
    }

    @Test func aShorterEndMovesItEarlier() throws {
        var scheduler = held()
        try scheduler.setExpiration(100, 40)
        #expect(scheduler.schedule(now: 1).annotations[1]?.estimatedStart == 40)
    }

    @Test func noEndIsPlannedAsTheDefaultDuration() throws {
        var scheduler = held()
        try scheduler.setExpiration(100, 0)
        #expect(scheduler.resources.plannedEnd(of: 100) == scheduler.defaultDuration)
        #expect(scheduler.resources.allocation(of: 100)?.expiration == 0)
    }

    @Test func aJobHoldingNothingIsRefused() {
        var scheduler = held()
        #expect(throws: ServiceError(ENOENT, "job ƒ2 holds no resources")) { try scheduler.setExpiration(1, 10) }
        #expect(throws: ServiceError(ENOENT, "job ƒ8 holds no resources")) { try scheduler.setExpiration(7, 10) }
    }
}
