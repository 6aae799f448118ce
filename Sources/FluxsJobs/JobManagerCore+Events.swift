// Reports from the scheduler, exec and the clock. A report that does not fit the job's
// state (a stale reply, a job already gone) is ignored: it produces no actions.
//
//   report         accepted in              posts                          then
//   allocated      request outstanding      alloc (SCHED -> RUN, or kept   startExec, or cleanup
//                                           in CLEANUP), with R            (free) if it came late
//   allocDenied    request outstanding      exception type=alloc sev 0     cleanup
//   allocCanceled  request outstanding      -                              cleanup / re-request
//   started        RUN, CLEANUP             start                          "after" dependents met
//   finished       RUN, CLEANUP             finish (-> CLEANUP)            wait for release
//   released       RUN, CLEANUP             release                        requestFree when final
//   freed          free requested           free                           clean
//   exception      any active               exception                      cleanup if severity 0
//   tick           -                        dependency-remove for passed begin-times;
//                                           exception type=timeout sev 0 for expired RUN jobs
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

extension JobManagerCore {
    /// Handles a report; returns the actions to perform, in order.
    public mutating func on(_ event: Event, at now: Double) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .allocated(let id, let r, let annotations):
            guard var state = runtime[id], state.allocPending else { return [] }
            state.allocPending = false
            state.cancelSent = false
            runtime[id] = state
            post(id, "alloc", annotations.isEmpty ? nil : ["annotations": .object(annotations)], at: now,
                 resources: r, into: &actions)
            process([id], at: now, into: &actions)
        case .allocDenied(let id, let note):
            guard var state = runtime[id], state.allocPending else { return [] }
            state.allocPending = false
            runtime[id] = state
            if jobs[id]?.state == .sched {
                post(id, "exception", JobException(type: "alloc", severity: 0, note: note).context, at: now,
                     into: &actions)
            }
            process([id], at: now, into: &actions)
        case .allocCanceled(let id):
            guard var state = runtime[id], state.allocPending else { return [] }
            state.allocPending = false
            state.cancelSent = false
            runtime[id] = state
            process([id], at: now, into: &actions)
        case .started(let id):
            guard let record = jobs[id], record.state.isRunning, !record.started else { return [] }
            post(id, "start", nil, at: now, into: &actions)
            process([id], at: now, into: &actions)
        case .finished(let id, let status):
            guard let record = jobs[id], record.state.isRunning, !record.finished else { return [] }
            post(id, "finish", ["status": .int(Int64(status))], at: now, into: &actions)
            process([id], at: now, into: &actions)
        case .released(let id, let ranks, let final):
            guard let record = jobs[id], record.state.isRunning, !record.releasedFinal else { return [] }
            post(id, "release", ["ranks": .string(ranks), "final": .bool(final)], at: now, into: &actions)
            process([id], at: now, into: &actions)
        case .freed(let id):
            guard var state = runtime[id], state.freePending else { return [] }
            state.freePending = false
            runtime[id] = state
            post(id, "free", nil, at: now, into: &actions)
            process([id], at: now, into: &actions)
        case .exception(let id, let exception):
            guard let record = jobs[id], record.state != .inactive, (0...7).contains(exception.severity) else {
                return []
            }
            post(id, "exception", exception.context, at: now, into: &actions)
            process([id], at: now, into: &actions)
        case .tick:
            tick(at: now, into: &actions)
        }
        return actions
    }

    /// Begin-times that have passed, and allocations that have expired.
    mutating func tick(at now: Double, into actions: inout [Action]) {
        var touched: [JobID] = []
        let due = beginWaiters.filter { ($0.dependency.beginTime ?? 0) <= now }
        beginWaiters.removeAll { ($0.dependency.beginTime ?? 0) <= now }
        for waiter in due {
            guard let job = jobs[waiter.job], job.state == .depend,
                  job.dependencies.contains(waiter.dependency.description) else { continue }
            judge(waiter, at: now, into: &actions)
            touched.append(waiter.job)
        }
        for (id, state) in runtime.sorted(by: { $0.key < $1.key }) {
            guard let expiration = state.expiration, expiration <= now, let record = jobs[id],
                  record.state == .run, record.fatalException == nil else { continue }
            let exception = JobException(type: "timeout", severity: 0, note: "resource allocation expired")
            post(id, "exception", exception.context, at: now, into: &actions)
            touched.append(id)
        }
        process(touched, at: now, into: &actions)
    }
}
