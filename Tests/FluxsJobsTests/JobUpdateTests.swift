// Job updates (job-manager.update, JobManagerCore+Update.swift, JobUpdate): reading a
// request, the refusals (all or nothing), pending jobs (the events, the summary, an
// allocation request withdrawn and made again, the queue), a running job's duration
// (resource-update and the time limit following it) and replay of the new events.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

extension Harness {
    @discardableResult
    mutating func update(_ id: JobID, _ update: JobUpdate, by requester: JobManagerCore.Requester = owner)
        -> [Action]
    {
        tick()
        return perform(core.update(request(), id: id, update: update, by: requester, at: now))
    }

    /// The reply in `actions`.
    static func reply(_ actions: [Action]) -> JobManagerCore.Reply? {
        for action in actions { if case .respond(_, let reply) = action { return reply } }
        return nil
    }
}

/// R on rank 0 from `start` to `expiration`.
func allocation(start: Double, expiration: Double) -> ResourceSet {
    ResourceSet(nodes: [ResourceSet.Node(rank: 0, hostname: "node0", cores: IDSet(range: 0...3))],
                starttime: start, expiration: expiration)
}

struct JobUpdateTests {
    // MARK: - The request

    @Test func readsTheUpdates() throws {
        let update = try JobUpdate(updates: [
            "attributes.system.duration": 90, "attributes.system.queue": "debug",
            "attributes.system.job.name": "renamed", "urgency": 4,
        ])
        #expect(update == JobUpdate(duration: 90, queue: "debug", name: "renamed", urgency: 4))
        #expect(update.jobspecKeys == ["attributes.system.duration": .double(90), "attributes.system.queue": "debug",
                                       "attributes.system.job.name": "renamed"])
        #expect(update.changesRequest)
        #expect(!JobUpdate(name: "x").changesRequest)
    }

    @Test(arguments: [
        ([:], "no updates were given"),
        (["attributes.system.nope": 1], "update of attributes.system.nope not supported"),
        (["attributes.system.constraints": [:]], "update of attributes.system.constraints not supported"),
        (["duration": 5], "update of duration not supported"),
        (["attributes.system.duration": -1], "duration must not be negative"),
        (["attributes.system.duration": "1h"], "attributes.system.duration must be a number of seconds"),
        (["attributes.system.queue": 3], "attributes.system.queue must be a string"),
        (["attributes.system.job.name": ""], "attributes.system.job.name must not be empty"),
        (["urgency": 1.5], "urgency must be an integer 0-31"),
    ] as [([String: JSONValue], String)])
    func refusesMalformedUpdates(updates: [String: JSONValue], message: String) {
        #expect(throws: ServiceError(EINVAL, message)) { try JobUpdate(updates: updates) }
    }

    // MARK: - Refusals

    @Test func refusalsChangeNothing() {
        var h = Harness()
        let (mine, _) = h.submit(JobSummary(name: "a", duration: 60), by: guest)
        let before = h.core.record(mine)
        let cases: [(JobID, JobUpdate, JobManagerCore.Requester, ServiceError)] = [
            (JobID(99), JobUpdate(name: "x"), owner, ServiceError(ENOENT, "unknown job id")),
            (mine, JobUpdate(name: "x"), otherGuest, ServiceError(EPERM, "guests may only update their own jobs")),
            (mine, JobUpdate(), guest, ServiceError(EINVAL, "no updates were given")),
            // All or nothing: a good duration does not go through with a bad urgency.
            (mine, JobUpdate(duration: 120, urgency: 40), owner, ServiceError(EINVAL, "urgency must be 0-31")),
            (mine, JobUpdate(duration: 120, urgency: 20), guest, ServiceError(EPERM, "guests can only adjust urgency <= 16")),
        ]
        for (id, update, requester, error) in cases {
            #expect(Harness.reply(h.update(id, update, by: requester)) == .error(error))
        }
        #expect(h.core.record(mine) == before)
        #expect(!h.names(mine).contains("jobspec-update"))
    }

    @Test func inactiveJobsAreRefused() {
        var h = Harness()
        let (id, _) = h.submit()
        h.runToEnd(id)
        #expect(Harness.reply(h.update(id, JobUpdate(name: "late"))) == .error(ServiceError(EINVAL, "job is inactive")))
    }

    @Test func sameQueueIsRefused() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "a", queue: "batch"))
        #expect(Harness.reply(h.update(id, JobUpdate(queue: "batch")))
                == .error(ServiceError(EINVAL, "job queue is already set to batch")))
    }

    // MARK: - Pending jobs

    @Test func pendingUpdateChangesTheSummaryAndWithdrawsTheRequest() {
        var h = Harness()
        let (id, submitted) = h.submit(JobSummary(name: "a", duration: 60))
        #expect(Harness.allocRequests(submitted) == [id])
        let actions = h.update(id, JobUpdate(duration: 600, name: "renamed"))
        #expect(Harness.reply(actions) == .ok)
        #expect(actions.contains(.cancelAlloc(id)))
        #expect(Harness.allocRequests(actions).isEmpty)  // not before the scheduler lets go
        #expect(h.names(id).suffix(2) == ["jobspec-update", "priority"])  // SCHED -> PRIORITY -> SCHED
        #expect(h.state(id) == .sched)
        let record = h.core.record(id)!
        #expect(record.summary.duration == 600 && record.summary.name == "renamed")
        let again = h.on(.allocCanceled(id))
        #expect(Harness.allocRequests(again) == [id])
        #expect(h.replayMatches(id))
        // Replaying from the updated jobspec (as the KVS holds it after a restart) agrees too.
        let replayed = try? JobRecord(replaying: h.logs[id]!, id: id, summary: record.summary)
        #expect(replayed == record)
    }

    @Test func aNameAloneKeepsTheRequest() {
        var h = Harness()
        let (id, _) = h.submit()
        let actions = h.update(id, JobUpdate(name: "other"))
        #expect(!actions.contains(.cancelAlloc(id)))
        #expect(h.core.pendingAllocs == [id])
        #expect(h.replayMatches(id))
    }

    @Test func heldJobsHaveNoRequestToWithdraw() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "a", duration: 60), urgency: 0)
        let actions = h.update(id, JobUpdate(duration: 30, queue: "debug"))
        #expect(!actions.contains(.cancelAlloc(id)) && Harness.allocRequests(actions).isEmpty)
        #expect(h.core.record(id)?.summary.queue == "debug")
        #expect(h.core.record(id)?.priority == 0)
        #expect(h.replayMatches(id))
    }

    @Test func urgencyGoesThroughTheUrgencyPath() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "a", duration: 60), urgency: 0)
        let actions = h.update(id, JobUpdate(duration: 120, urgency: 20))
        #expect(Harness.reply(actions) == .ok)
        #expect(h.names(id).suffix(3) == ["jobspec-update", "urgency", "priority"])
        #expect(h.core.record(id)?.urgency == 20 && h.core.record(id)?.priority == 20)
        #expect(Harness.allocRequests(actions) == [id])  // released: asked for at once
        #expect(h.replayMatches(id))
    }

    @Test func movingOutOfAStoppedQueueAsksForResources() {
        var h = Harness()
        _ = h.core.setQueue("batch", started: false)
        let (id, submitted) = h.submit(JobSummary(name: "a", queue: "batch"))
        #expect(Harness.allocRequests(submitted).isEmpty)
        let moved = h.update(id, JobUpdate(queue: "debug", constraints: [:]))
        #expect(Harness.allocRequests(moved) == [id])
        #expect(h.core.record(id)?.summary.queue == "debug")
        // ... and into it again: the request is withdrawn and not made again.
        let back = h.update(id, JobUpdate(queue: "batch", constraints: [:]))
        #expect(back.contains(.cancelAlloc(id)))
        #expect(Harness.allocRequests(h.on(.allocCanceled(id))).isEmpty)
        #expect(h.replayMatches(id))
    }

    // MARK: - Running jobs

    @Test func runningDurationMovesTheTimeLimit() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "sleep", duration: 60))
        let start = h.now + 1
        h.on(.allocated(id, allocation(start: start, expiration: start + 60), annotations: [:]))
        h.on(.started(id))
        // Longer: the old limit passes without a timeout; the new one ends the job.
        let longer = h.update(id, JobUpdate(duration: 300))
        #expect(Harness.reply(longer) == .ok)
        #expect(longer.contains(.wakeAt(start + 300)))
        #expect(h.names(id).suffix(2) == ["jobspec-update", "resource-update"])
        #expect(h.core.record(id)?.resources?.expiration == start + 300)
        h.now = start + 60
        #expect(h.perform(h.core.on(.tick, at: h.now)).isEmpty)
        #expect(h.state(id) == .run)
        // Shorter again: a timer for the new end, which raises the timeout.
        let shorter = h.update(id, JobUpdate(duration: 90))
        #expect(shorter.contains(.wakeAt(start + 90)))
        h.now = start + 90
        let expired = h.perform(h.core.on(.tick, at: h.now))
        #expect(expired.contains(.killExec(id, signal: SIGTERM)))
        h.on(.finished(id, status: 15))
        h.on(.released(id, ranks: "all", final: true))
        h.on(.freed(id))
        #expect(h.core.record(id)?.result == .timeout)
        #expect(h.core.record(id)?.summary.duration == 90)
        #expect(h.replayMatches(id))
    }

    @Test func unlimitedRunningJob() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "sleep", duration: 60))
        let start = h.now + 1
        h.on(.allocated(id, allocation(start: start, expiration: start + 60), annotations: [:]))
        let actions = h.update(id, JobUpdate(duration: 0))
        #expect(!actions.contains { if case .wakeAt = $0 { true } else { false } })
        #expect(h.core.record(id)?.resources?.expiration == 0)
        h.now = start + 1000
        #expect(h.perform(h.core.on(.tick, at: h.now)).isEmpty)
        #expect(h.replayMatches(id))
    }

    @Test func runningRefusals() {
        var h = Harness()
        let (id, _) = h.submit(JobSummary(name: "sleep", duration: 60), by: guest)
        let start = h.now + 1
        h.on(.allocated(id, allocation(start: start, expiration: start + 60), annotations: [:]))
        let cases: [(JobUpdate, JobManagerCore.Requester, ServiceError)] = [
            (JobUpdate(duration: 120), guest,
             ServiceError(EPERM, "duration update of running job requires instance owner privileges")),
            (JobUpdate(queue: "debug"), owner, ServiceError(EINVAL, "update of queue for running job not supported")),
            (JobUpdate(name: "x"), owner, ServiceError(EINVAL, "update of name for running job not supported")),
            (JobUpdate(urgency: 3), guest, ServiceError(EINVAL, "urgency cannot be changed once resources are allocated")),
            (JobUpdate(duration: 1), owner, ServiceError(EINVAL, "requested duration places job expiration in the past")),
        ]
        let before = h.core.record(id)
        for (update, requester, error) in cases {
            #expect(Harness.reply(h.update(id, update, by: requester)) == .error(error))
        }
        #expect(h.core.record(id) == before)
        h.on(.exception(id, JobException(type: "cancel", severity: 0, note: "")))
        #expect(Harness.reply(h.update(id, JobUpdate(duration: 600)))
                == .error(ServiceError(EINVAL, "the job is ending (CLEANUP): its duration cannot change")))
    }

    // MARK: - Replay

    @Test func replayAppliesTheNewEvents() throws {
        let base = entries(upTo: .run)
        let update = EventlogEntry(timestamp: 20, name: "jobspec-update",
                                   context: ["attributes.system.duration": 30, "attributes.system.job.name": "b",
                                             "attributes.system.constraints": ["properties": ["x"]]])
        let moved = EventlogEntry(timestamp: 21, name: "resource-update", context: ["expiration": 500])
        let R = allocation(start: 13, expiration: 73)
        let job = try JobRecord(replaying: base + [update, moved], id: JobID(42), summary: JobSummary(name: "a"),
                                resources: R)
        #expect(job.summary.duration == 30 && job.summary.name == "b")
        #expect(job.resources?.expiration == 500 && job.resources?.starttime == 13)
        #expect(job.state == .run)
        var sched = try record(in: .sched)
        try sched.apply(EventlogEntry(timestamp: 30, name: "jobspec-update", context: ["attributes.system.queue": "q"]))
        #expect(sched.state == .priority && sched.summary.queue == "q")
    }

    @Test func replayRefusesMalformedUpdates() throws {
        var job = try record(in: .run)
        let before = job
        #expect(throws: ServiceError.self) {
            try job.apply(EventlogEntry(timestamp: 30, name: "jobspec-update", context: ["attributes.system.duration": "x"]))
        }
        #expect(throws: ServiceError.self) {
            try job.apply(EventlogEntry(timestamp: 30, name: "resource-update", context: ["expiration": -1]))
        }
        #expect(job == before)
        var pending = try record(in: .priority)
        #expect(throws: ServiceError.self) {
            try pending.apply(EventlogEntry(timestamp: 30, name: "resource-update", context: ["expiration": 5]))
        }
        var done = try record(in: .inactive)
        #expect(throws: ServiceError.self) {
            try done.apply(EventlogEntry(timestamp: 30, name: "jobspec-update", context: ["attributes.system.queue": "q"]))
        }
    }
}
