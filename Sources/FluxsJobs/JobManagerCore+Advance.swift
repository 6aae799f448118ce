// Moving jobs along: after any input the touched jobs go through `process`, a work
// list that, per job, posts whatever the job's state now calls for (`step`) until it
// settles, then re-judges the jobs waiting on it; finally `fillAllocRequests` issues
// allocation requests in queue order. What each state calls for:
//
//   DEPEND    no dependencies outstanding                  -> post depend
//   PRIORITY  always                                       -> post priority
//   SCHED     priority 0 with a request outstanding        -> cancelAlloc
//   RUN       exec not asked yet                           -> startExec (+ wakeAt expiration)
//   CLEANUP   allocation request outstanding               -> cancelAlloc, wait
//             exec active (asked or started, not released) -> killExec once if a fatal
//                                                             exception and no finish, wait
//             resources held                               -> requestFree once, wait
//             otherwise                                    -> post clean (-> INACTIVE)
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

extension JobManagerCore {
    /// Applies a new entry to the record and emits it; false (and nothing emitted) if the
    /// record refuses it, which only a stale or out-of-order report can cause.
    @discardableResult
    mutating func post(_ id: JobID, _ name: String, _ context: [String: JSONValue]?, at now: Double,
                       resources: ResourceSet? = nil, into actions: inout [Action]) -> Bool {
        guard var record = jobs[id] else { return false }
        let entry = EventlogEntry(timestamp: now, name: name, context: context)
        let wasInactive = record.state == .inactive
        do throws(ServiceError) {
            try record.apply(entry, resources: resources)
        } catch {
            return false
        }
        jobs[id] = record
        if !wasInactive && record.state == .inactive {
            inactiveOrder.append(id)
            inactiveByUser[record.userid, default: InactiveQueue()].append(id)
        }
        actions.append(.appendEvent(id, entry))
        return true
    }

    /// Posts dependency-add for each dependency, removing at once those already met and
    /// raising a fatal exception for the first that never can be.
    mutating func addDependencies(_ id: JobID, _ dependencies: [JobDependency], at now: Double,
                                  into actions: inout [Action]) {
        for dependency in dependencies {
            if dependency.scheme == .singleton, !singletonMustWait(id) { continue }
            post(id, "dependency-add", ["description": .string(dependency.description)], at: now, into: &actions)
            if !judge(Waiter(job: id, dependency: dependency), at: now, into: &actions) { return }
        }
    }

    /// Decides one waiter now: met (dependency-remove), never (fatal exception) or
    /// pending (registered to wait). False once the job has failed.
    @discardableResult
    mutating func judge(_ waiter: Waiter, at now: Double, into actions: inout [Action]) -> Bool {
        let dependency = waiter.dependency
        if dependency.scheme == .singleton {
            waitSingleton(waiter.job, at: now, into: &actions)
            return true
        }
        let verdict: JobDependency.Verdict
        if dependency.scheme == .beginTime {
            verdict = dependency.verdict(now: now)
        } else if dependency.target == waiter.job {
            verdict = .never("a job cannot depend on itself")
        } else {
            verdict = dependency.verdict(target: dependency.target.flatMap { jobs[$0] })
        }
        switch verdict {
        case .satisfied:
            post(waiter.job, "dependency-remove", ["description": .string(dependency.description)], at: now,
                 into: &actions)
        case .never(let reason):
            let exception = JobException(type: "dependency", severity: 0, note: dependency.neverNote(reason))
            post(waiter.job, "exception", exception.context, at: now, into: &actions)
            return false
        case .pending:
            if let target = dependency.target {
                waiters[target, default: []].append(waiter)
            } else if let time = dependency.beginTime {
                beginWaiters.append(waiter)
                actions.append(.wakeAt(time))
            }
        }
        return true
    }

    /// Settles each job in the work list (and the jobs waiting on them), then fills the
    /// scheduler's queue.
    mutating func process(_ ids: [JobID], at now: Double, into actions: inout [Action]) {
        var work = ids
        while !work.isEmpty {
            let id = work.removeFirst()
            settle(id, at: now, into: &actions)
            guard let record = jobs[id] else { continue }
            if record.state == .inactive {
                runtime[id] = nil
                if let released = singletonJobEnded(id, at: now, into: &actions) { work.append(released) }
            }
            guard record.started || record.state == .inactive, let waiting = waiters[id] else { continue }
            waiters[id] = nil
            for waiter in waiting {
                guard let job = jobs[waiter.job], job.state == .depend,
                      job.dependencies.contains(waiter.dependency.description) else { continue }
                judge(waiter, at: now, into: &actions)
                work.append(waiter.job)
            }
        }
        fillAllocRequests(into: &actions)
    }

    /// Runs `step` until the job posts nothing more.
    mutating func settle(_ id: JobID, at now: Double, into actions: inout [Action]) {
        while let before = jobs[id]?.eventCount {
            step(id, at: now, into: &actions)
            if jobs[id]?.eventCount == before { return }
        }
    }

    /// What the job's state calls for now (see the table above).
    mutating func step(_ id: JobID, at now: Double, into actions: inout [Action]) {
        guard let record = jobs[id] else { return }
        var state = runtime[id] ?? Runtime()
        defer { runtime[id] = state }
        switch record.state {
        case .new, .inactive:
            return
        case .depend:
            if record.dependencies.isEmpty { post(id, "depend", nil, at: now, into: &actions) }
        case .priority:
            post(id, "priority", ["priority": .int(Int64(JobPriority.of(urgency: record.urgency)))], at: now,
                 into: &actions)
        case .sched:
            if record.priority == 0, state.allocPending, !state.cancelSent {
                state.cancelSent = true
                actions.append(.cancelAlloc(id))
            }
        case .run:
            if !state.execRequested, !record.started {
                state.execRequested = true
                actions.append(.startExec(id))
                let limit = record.summary.duration > 0 ? (record.timestamps[.run] ?? now) + record.summary.duration : 0
                let expiration = (record.resources?.expiration ?? 0) > 0 ? record.resources!.expiration : limit
                if expiration > 0 {
                    state.expiration = expiration
                    actions.append(.wakeAt(expiration))
                }
            }
        case .cleanup:
            if state.allocPending {
                if !state.cancelSent {
                    state.cancelSent = true
                    actions.append(.cancelAlloc(id))
                }
                return
            }
            let execActive = (state.execRequested || record.started) && !record.releasedFinal && !state.execLost
            if execActive {
                if !state.killSent, !record.finished, let fatal = record.fatalException {
                    state.killSent = true
                    actions.append(.killExec(id, signal: SIGTERM))
                }
                return
            }
            if record.allocated, !record.freed {
                if !state.freePending {
                    state.freePending = true
                    actions.append(.requestFree(id))
                }
                return
            }
            post(id, "clean", nil, at: now, into: &actions)
        }
    }

    /// Issues allocation requests in queue order, up to `allocLimit` outstanding.
    mutating func fillAllocRequests(into actions: inout [Action]) {
        var budget = allocLimit.map { $0 - runtime.values.filter(\.allocPending).count } ?? .max
        for id in queued(where: { !$0.allocPending }) where budget > 0 {
            guard var state = runtime[id], !state.allocPending else { continue }
            state.allocPending = true
            state.cancelSent = false
            runtime[id] = state
            actions.append(.requestAlloc(id))
            budget -= 1
        }
    }
}
