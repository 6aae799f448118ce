// JobManagerCore: the life of a job, cancel and exceptions in each phase, urgency,
// hold and expedite, dependencies, begin-time, time limits, purge and restart. Every
// test checks that replaying each job's eventlog gives the core's record.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

struct JobManagerCoreTests {
    @Test func normalLife() {
        var h = Harness()
        let (id, actions) = h.submit()
        #expect(h.names(id) == ["submit", "validate", "depend", "priority"])
        #expect(actions.contains(.respond(1, .submitted(id))))
        #expect(actions.last == .requestAlloc(id))
        #expect(h.state(id) == .sched)
        let alloc = h.on(.allocated(id, node(0, "node0"), annotations: ["sched": ["resource_summary": "rank0/core[0-3]"]]))
        #expect(alloc.last == .startExec(id))
        #expect(h.state(id) == .run)
        h.on(.started(id))
        h.on(.finished(id, status: 0))
        #expect(h.state(id) == .cleanup)
        #expect(h.on(.released(id, ranks: "all", final: true)).last == .requestFree(id))
        h.on(.freed(id))
        #expect(h.state(id) == .inactive)
        #expect(h.names(id) == ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release",
                                "free", "clean"])
        let record = h.core.record(id)!
        #expect(record.result == .completed)
        #expect(record.resources?.nodelist == "node0")
        #expect(record.annotations["sched"]?["resource_summary"] == "rank0/core[0-3]")
        #expect(h.replayMatches(id))
    }

    @Test func submitRefusals() {
        var core = JobManagerCore()
        let s = JobSummary(name: "x")
        #expect(core.submit(1, id: JobID(1), summary: s, urgency: 32, by: owner, at: 1)
                == [.respond(1, .error(ServiceError(EINVAL, "urgency must be 0-31")))])
        #expect(core.submit(2, id: JobID(1), summary: s, urgency: 17, by: guest, at: 1)
                == [.respond(2, .error(ServiceError(EPERM, "only the instance owner can submit with urgency >16")))])
        let bad = JobSummary(dependencies: [JobspecDependency(scheme: "afterfoo", value: "1")])
        #expect(core.submit(3, id: JobID(1), summary: bad, by: owner, at: 1)
                == [.respond(3, .error(ServiceError(EINVAL, "dependency scheme \"afterfoo\" is not supported")))])
        _ = core.submit(4, id: JobID(1), summary: s, by: owner, at: 1)
        #expect(core.submit(5, id: JobID(1), summary: s, by: owner, at: 1)
                == [.respond(5, .error(ServiceError(EEXIST, "job ƒ2 already exists")))])
        #expect(core.jobs.count == 1)
    }

    @Test func cancelPendingJob() {
        var h = Harness()
        let (id, _) = h.submit()
        let actions = h.cancel(id, note: "not needed")
        #expect(actions.contains(.cancelAlloc(id)))
        #expect(h.state(id) == .cleanup)
        h.on(.allocCanceled(id))
        #expect(h.state(id) == .inactive)
        #expect(h.core.record(id)?.result == .canceled)
        #expect(h.core.record(id)?.inactiveReason == "Canceled: not needed")
        #expect(h.core.record(id)?.returncode == -128)
        #expect(h.replayMatches(id))
    }

    @Test func cancelHeldJob() {
        var h = Harness()
        let (id, actions) = h.submit(urgency: 0)
        #expect(Harness.allocRequests(actions).isEmpty)
        #expect(h.state(id) == .sched && h.core.record(id)?.priority == 0)
        #expect(h.core.record(id)?.contextualInfo(now: h.now) == "held")
        let cancel = h.cancel(id)
        #expect(!cancel.contains(.cancelAlloc(id)))
        #expect(h.state(id) == .inactive)
        #expect(h.names(id).suffix(2) == ["exception", "clean"])
        #expect(h.replayMatches(id))
    }

    @Test func cancelRunningJobKillsThenCleansUp() {
        var h = Harness()
        let (id, _) = h.submit()
        h.on(.allocated(id, node(0, "node0"), annotations: [:]))
        h.on(.started(id))
        let actions = h.cancel(id)
        #expect(actions.contains(.killExec(id, signal: SIGTERM)))
        #expect(h.state(id) == .cleanup)
        h.on(.finished(id, status: 15))
        h.on(.released(id, ranks: "all", final: true))
        h.on(.freed(id))
        #expect(h.state(id) == .inactive && h.core.record(id)?.result == .canceled)
        #expect(h.replayMatches(id))
    }

    @Test func cancelPermissions() {
        var h = Harness()
        let (id, _) = h.submit(by: guest)
        #expect(h.cancel(id, by: otherGuest)
                == [.respond(2, .error(ServiceError(EPERM, "guests can only raise exceptions on their own jobs")))])
        h.cancel(id, by: guest)
        h.on(.allocCanceled(id))
        #expect(h.cancel(id).last == .respond(4, .error(ServiceError(EINVAL, "job is inactive"))))
        #expect(h.cancel(JobID(7)).last == .respond(5, .error(ServiceError(ENOENT, "unknown job id"))))
    }

    @Test func allocationArrivingAfterCancelIsFreed() {
        var h = Harness()
        let (id, _) = h.submit()
        h.cancel(id)
        let late = h.on(.allocated(id, node(0, "node0"), annotations: [:]))
        #expect(late.contains(.requestFree(id)) && !late.contains(.startExec(id)))
        h.on(.freed(id))
        #expect(h.state(id) == .inactive)
        #expect(h.replayMatches(id))
    }

    @Test func exceptionsInEachPhase() {
        var h = Harness()
        let (denied, _) = h.submit()
        h.on(.allocDenied(denied, note: "unsatisfiable request"))
        #expect(h.state(denied) == .inactive)
        #expect(h.core.record(denied)?.inactiveReason == "Exception: type=alloc note=unsatisfiable request")
        let (minor, _) = h.submit()
        h.on(.exception(minor, JobException(type: "test", severity: 3, note: "just saying")))
        #expect(h.state(minor) == .sched)
        let (execFail, _) = h.submit()
        h.on(.allocated(execFail, node(1, "node1"), annotations: [:]))
        h.on(.exception(execFail, JobException(type: "exec", severity: 0, note: "shell failed")))
        h.on(.released(execFail, ranks: "all", final: true))
        h.on(.freed(execFail))
        #expect(h.core.record(execFail)?.result == .failed)
        for id in [denied, minor, execFail] { #expect(h.replayMatches(id)) }
    }

    @Test func timeLimitRaisesTimeout() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "sleep", duration: 60))
        let actions = h.on(.allocated(id, node(0, "node0"), annotations: [:]))
        let wake = actions.compactMap { if case .wakeAt(let t) = $0 { t } else { nil } }
        #expect(wake == [h.now + 60])
        h.on(.started(id))
        h.now = wake[0]
        let expired = h.perform(h.core.on(.tick, at: h.now))
        #expect(expired.contains(.killExec(id, signal: SIGTERM)))
        h.on(.finished(id, status: 14))
        h.on(.released(id, ranks: "all", final: true))
        h.on(.freed(id))
        #expect(h.core.record(id)?.result == .timeout)
        #expect(h.replayMatches(id))
    }

    @Test func urgencyHoldAndExpediteOrder() {
        var h = Harness(allocLimit: 1)
        let (a, first) = h.submit()
        let (b, _) = h.submit()
        let (c, _) = h.submit(urgency: 0)
        let (d, _) = h.submit(urgency: 20)
        #expect(Harness.allocRequests(first) == [a])
        #expect(h.core.schedQueue == [d, a, b])  // urgency 20 first; held c is not queued
        h.urgency(b, 31)
        #expect(h.core.record(b)?.priority == UInt32.max)
        #expect(h.core.schedQueue == [b, d, a])
        h.runToEnd(a)
        #expect(Harness.allocRequests(h.trace).suffix(1) == [b])
        h.urgency(c, 16)
        h.runToEnd(b)
        #expect(Harness.allocRequests(h.trace).suffix(1) == [d])
        h.runToEnd(d)
        #expect(Harness.allocRequests(h.trace) == [a, b, d, c])
        for id in [a, b, c, d] { #expect(h.replayMatches(id)) }
    }

    @Test func holdingAJobWithdrawsItsRequest() {
        var h = Harness()
        let (id, _) = h.submit()
        let held = h.urgency(id, 0)
        #expect(held.contains(.cancelAlloc(id)))
        #expect(held.contains(.respond(2, .urgency(old: 16))))
        h.on(.allocCanceled(id))
        #expect(h.core.pendingAllocs.isEmpty)
        let released = h.urgency(id, 16)
        #expect(Harness.allocRequests(released) == [id])
        #expect(h.names(id) == ["submit", "validate", "depend", "priority", "urgency", "priority", "urgency", "priority"])
        #expect(h.replayMatches(id))
    }

    @Test func urgencyRefusals() {
        var h = Harness()
        let (id, _) = h.submit(by: guest)
        #expect(h.urgency(id, 20, by: guest).last?.isError == true)
        #expect(h.urgency(id, 10, by: otherGuest).last?.isError == true)
        #expect(h.urgency(id, 32).last?.isError == true)
        #expect(h.urgency(id, 5, by: guest).contains(.respond(5, .urgency(old: 16))))
        h.on(.allocated(id, node(0, "n"), annotations: [:]))
        #expect(h.urgency(id, 1).last == .respond(6, .error(ServiceError(
            EINVAL, "urgency cannot be changed once resources are allocated"))))
    }

    @Test(arguments: [
        ("afterok", Int32(0), true), ("afterok", 256, false), ("afterany", 0, true), ("afterany", 256, true),
        ("afternotok", 256, true), ("afternotok", 0, false),
    ])
    func dependencyOnFinishedJob(scheme: String, status: Int32, satisfied: Bool) {
        var h = Harness()
        let (first, _) = h.submit()
        let value = first.formatted(.f58)
        let (second, _) = h.submit(JobSummary(name: "next", dependencies: [JobspecDependency(scheme: scheme, value: value)]))
        #expect(h.state(second) == .depend)
        #expect(h.core.record(second)?.contextualInfo(now: h.now) == "depends:\(scheme)=\(value)")
        h.runToEnd(first, status: status)
        if satisfied {
            #expect(h.state(second) == .sched)
            #expect(h.names(second).contains("dependency-remove"))
        } else {
            #expect(h.state(second) == .inactive)
            let reason = status == 0 ? "succeeded" : "failed"
            #expect(h.core.record(second)?.exception
                    == JobException(type: "dependency", severity: 0,
                                    note: "dependency \(scheme):\(value) can never be satisfied (job \(value) \(reason))"))
        }
        #expect(h.replayMatches(first) && h.replayMatches(second))
    }

    @Test func afterWaitsForStart() {
        var h = Harness()
        let (first, _) = h.submit()
        let (second, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "after", value: first.formatted(.dec))]))
        h.on(.allocated(first, node(0, "n"), annotations: [:]))
        #expect(h.state(second) == .depend)
        h.on(.started(first))
        #expect(h.state(second) == .sched)
        let (third, _) = h.submit()
        h.cancel(third)
        h.on(.allocCanceled(third))
        let (fourth, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "after", value: third.formatted(.f58))]))
        #expect(h.state(fourth) == .inactive)
        #expect(h.core.record(fourth)?.exception?.note.hasSuffix("never started)") == true)
        for id in [first, second, third, fourth] { #expect(h.replayMatches(id)) }
    }

    /// afterexcept is met by a job a fatal exception ended while it ran; afterstart (and
    /// afterok, afternotok, afterexcept) never by a job canceled before it started.
    @Test func afterexceptAndJobsThatNeverRan() {
        var h = Harness()
        let (ran, _) = h.submit()
        let (excepted, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterexcept", value: ran.formatted(.f58))]))
        let (started, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterstart", value: ran.formatted(.f58))]))
        h.on(.allocated(ran, node(0, "n"), annotations: [:]))
        h.on(.started(ran))
        #expect(h.state(started) == .sched && h.state(excepted) == .depend)
        h.cancel(ran)
        h.on(.finished(ran, status: 15))
        h.on(.released(ran, ranks: "all", final: true))
        h.on(.freed(ran))
        #expect(h.state(ran) == .inactive && h.state(excepted) == .sched)

        let (ok, _) = h.submit()
        let (noExcept, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterexcept", value: ok.formatted(.f58))]))
        h.runToEnd(ok)
        #expect(h.core.record(noExcept)?.exception?.note.hasSuffix("ended without an exception)") == true)

        let (never, _) = h.submit()
        var dependents: [JobID] = []
        for scheme in ["afterstart", "afterok", "afternotok", "afterexcept"] {
            dependents.append(h.submit(JobSummary(dependencies: [JobspecDependency(scheme: scheme, value: never.formatted(.f58))])).0)
        }
        let (any, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterany", value: never.formatted(.f58))]))
        h.cancel(never)
        h.on(.allocCanceled(never))
        for id in dependents {
            #expect(h.state(id) == .inactive)
            #expect(h.core.record(id)?.exception?.note.hasSuffix("never started)") == true)
        }
        #expect(h.state(any) == .sched)
        for id in [ran, excepted, started, ok, noExcept, never, any] + dependents { #expect(h.replayMatches(id)) }
    }

    @Test func dependencyChainAndFailurePropagates() {
        var h = Harness()
        let (a, _) = h.submit()
        let (b, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterok", value: a.formatted(.f58))]))
        let (c, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterok", value: b.formatted(.f58))]))
        let (d, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afternotok", value: b.formatted(.f58))]))
        h.runToEnd(a, status: 0)
        #expect(h.state(b) == .sched && h.state(c) == .depend)
        h.runToEnd(b, status: 256)
        #expect(h.state(c) == .inactive && h.core.record(c)?.result == .failed)
        #expect(h.state(d) == .sched)
        for id in [a, b, c, d] { #expect(h.replayMatches(id)) }
    }

    @Test func dependencyOnUnknownOrFailedJob() {
        var h = Harness()
        let (gone, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterok", value: "ƒ2")]))
        #expect(h.state(gone) == .inactive)
        #expect(h.core.record(gone)?.exception?.note == "dependency afterok:ƒ2 can never be satisfied (job ƒ2 not found)")
        let (failed, _) = h.submit()
        h.runToEnd(failed, status: 256)
        let id = failed.formatted(.f58)
        let (late, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterok", value: id)]))
        #expect(h.core.record(late)?.exception?.note == "dependency afterok:\(id) can never be satisfied (job \(id) failed)")
        #expect(h.names(late) == ["submit", "validate", "dependency-add", "exception", "clean"])
        #expect(h.replayMatches(late))
    }

    @Test func beginTime() {
        var h = Harness()
        let begin = h.now + 100
        let (id, actions) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "begin-time", value: "\(begin)")]))
        #expect(actions.contains(.wakeAt(begin)))
        #expect(h.state(id) == .depend)
        #expect(h.perform(h.core.on(.tick, at: begin - 1)).isEmpty)
        let due = h.perform(h.core.on(.tick, at: begin))
        #expect(due.contains(.requestAlloc(id)))
        #expect(h.state(id) == .sched)
        let (past, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "begin-time", value: "1.5")]))
        #expect(h.state(past) == .sched)
        #expect(h.replayMatches(id) && h.replayMatches(past))
    }

    @Test func cancelWhileDepending() {
        var h = Harness()
        let (a, _) = h.submit()
        let (b, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterany", value: a.formatted(.f58))]))
        h.cancel(b)
        #expect(h.state(b) == .inactive)
        h.runToEnd(a)
        #expect(h.names(b).last == "clean")
        #expect(h.replayMatches(b))
    }

    @Test func purgeByAgeAndCount() {
        var h = Harness()
        let ids = h.endedJobs(5, gap: 100)
        let (active, _) = h.submit()
        let byCount = h.core.purge(countLimit: 3, at: h.now)
        #expect(byCount == [.removeJob(ids[0]), .removeJob(ids[1])])
        let inactiveAt = h.core.record(ids[2])!.timestamps[.inactive]!
        let byAge = h.core.purge(ageLimit: h.now - inactiveAt - 1, at: h.now)
        #expect(byAge == [.removeJob(ids[2])])
        #expect(h.core.purge(ageLimit: 0, at: h.now) == [.removeJob(ids[3]), .removeJob(ids[4])])
        #expect(h.core.jobs.keys.sorted() == [active])
    }

    @Test func purgeByCountAfterPurgeByIDAndAfterRestore() throws {
        var h = Harness()
        let ids = h.endedJobs(4, gap: 1)
        // A job purged by id no longer counts: 3 remain, so a limit of 2 takes one.
        #expect(try h.core.purge(ids[1]) == [.removeJob(ids[1])])
        #expect(h.core.purge(countLimit: 2, at: h.now) == [.removeJob(ids[0])])
        // Restored, the oldest are still taken first (by t_inactive).
        let records = [ids[3], ids[2]].map { id in
            try! JobRecord(replaying: h.logs[id]!, id: id, summary: h.summaries[id]!, resources: h.resources[id])
        }
        var (core, _) = JobManagerCore.restore(records, at: h.now + 10)
        #expect(core.purge(countLimit: 1, at: h.now + 10) == [.removeJob(ids[2])])
        #expect(core.purge(countLimit: 1, at: h.now + 10) == [])
    }

    @Test func purgeByID() throws {
        var h = Harness()
        let (done, _) = h.submit()
        h.runToEnd(done)
        let (active, _) = h.submit()
        #expect(throws: ServiceError(EINVAL, "cannot purge active job \(active)")) { try h.core.purge(active) }
        #expect(try h.core.purge(done) == [.removeJob(done)])
        #expect(throws: ServiceError(ENOENT, "unknown job id \(done)")) { try h.core.purge(done) }
        #expect(h.core.jobs.keys.sorted() == [active])
    }

    @Test func restoreFromReplayedLogs() {
        var h = Harness()
        let (done, _) = h.submit()
        h.runToEnd(done)
        let (queued, _) = h.submit()
        let (waiting, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterok", value: queued.formatted(.f58))]))
        let (running, _) = h.submit()
        h.on(.allocated(running, node(0, "n"), annotations: [:]))
        h.on(.allocated(queued, node(1, "m"), annotations: [:]))
        h.on(.started(running))
        let records = [done, queued, waiting, running].map { id in
            try! JobRecord(replaying: h.logs[id]!, id: id, summary: h.summaries[id]!, resources: h.resources[id])
        }
        var (core, actions) = JobManagerCore.restore(records, at: h.now + 10)
        #expect(core.allocations == [queued, running])
        #expect(actions.contains(.requestFree(running)) && actions.contains(.requestFree(queued)))
        #expect(!actions.contains(.killExec(running, signal: SIGTERM)))
        #expect(core.record(running)?.exception?.type == "exec")
        _ = core.on(.freed(running), at: h.now + 11)
        _ = core.on(.freed(queued), at: h.now + 11)
        #expect(core.record(running)?.state == .inactive)
        #expect(core.record(waiting)?.state == .inactive)  // queued failed, so afterok can never be met
        #expect(core.record(done) == h.core.record(done))
    }

    @Test func restoreResumesPendingWork() {
        var h = Harness()
        let (first, _) = h.submit()
        let (second, _) = h.submit(JobSummary(dependencies: [JobspecDependency(scheme: "afterany", value: first.formatted(.f58))]))
        let records = [first, second].map { id in try! JobRecord(replaying: h.logs[id]!, id: id, summary: h.summaries[id]!) }
        var (core, actions) = JobManagerCore.restore(records, at: h.now + 1)
        #expect(Harness.allocRequests(actions) == [first])
        _ = core.on(.allocated(first, node(0, "n"), annotations: [:]), at: h.now + 2)
        _ = core.on(.started(first), at: h.now + 3)
        _ = core.on(.finished(first, status: 0), at: h.now + 4)
        _ = core.on(.released(first, ranks: "all", final: true), at: h.now + 5)
        let last = core.on(.freed(first), at: h.now + 6)
        #expect(core.record(second)?.state == .sched)
        #expect(last.contains(.requestAlloc(second)))
    }
}

extension JobManagerCore.Action {
    /// True for an error reply.
    var isError: Bool {
        if case .respond(_, .error) = self { return true }
        return false
    }
}
