// Updating a job (job-manager.update, fluxs-update(1)): the rules of Flux's update
// service and its update-duration plugin. All or nothing: the first refusal answers the
// request and nothing changes (messages as flux-core's where it has them):
//
//   refused when                                        errno   message
//   unknown job                                         ENOENT  unknown job id
//   a guest, not the job's owner                        EPERM   guests may only update their own jobs
//   the job is inactive                                 EINVAL  job is inactive
//   running: a queue / a name                           EINVAL  update of queue for running job not supported (name: ...)
//   running: a duration, by a guest                     EPERM   duration update of running job requires instance owner privileges
//   running: a duration in CLEANUP                      EINVAL  the job is ending (CLEANUP): its duration cannot change
//   running: the new expiration is not in the future    EINVAL  requested duration places job expiration in the past
//   the queue is the job's already                      EINVAL  job queue is already set to Q
//   urgency                                             (job-manager.urgency's refusals)
//
// Then, in order: `jobspec-update` with the jobspec keys (a job in SCHED goes back to
// PRIORITY and gets its priority again, as in Flux); for a running job's duration,
// `resource-update` {expiration: start of R + duration, 0 for none} and the timer follows
// (JobManagerCore+Events.swift's tick compares with the new expiration); the urgency
// through setUrgency; the reply. A job in SCHED whose request changed (duration, queue)
// has its outstanding allocation request withdrawn (`cancelAlloc`); once the scheduler
// confirms, the job is queued again and a new request goes out with the new jobspec.
// The service checks what the core cannot see (the queues, the scheduler's consent,
// feasibility) before calling `update`, and writes the new jobspec beside the event.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

extension JobManagerCore {
    /// When a running job's allocation would expire with time limit `duration`: the start
    /// of its R (else its RUN time) plus `duration`; 0 (never) for a duration of 0.
    public static func expiration(of record: JobRecord, duration: Double) -> Double {
        guard duration > 0 else { return 0 }
        let start = (record.resources?.starttime ?? 0) > 0 ? record.resources!.starttime : (record.timestamps[.run] ?? 0)
        return start + duration
    }

    /// Why `update` of job `id` by `requester` at `now` is refused; nil when it is not.
    public func updateRefusal(id: JobID, update: JobUpdate, by requester: Requester, at now: Double) -> ServiceError? {
        guard let record = jobs[id] else { return ServiceError(ENOENT, "unknown job id") }
        if !requester.isOwner, requester.userid != record.userid {
            return ServiceError(EPERM, "guests may only update their own jobs")
        }
        if record.state == .inactive { return ServiceError(EINVAL, "job is inactive") }
        if update.isEmpty { return ServiceError(EINVAL, "no updates were given") }
        if record.state.isRunning {
            if update.queue != nil { return ServiceError(EINVAL, "update of queue for running job not supported") }
            if update.name != nil { return ServiceError(EINVAL, "update of name for running job not supported") }
            if update.constraints != nil {
                return ServiceError(EINVAL, "update of constraints for running job not supported")
            }
            if let duration = update.duration {
                if !requester.isOwner {
                    return ServiceError(EPERM, "duration update of running job requires instance owner privileges")
                }
                if record.state == .cleanup {
                    return ServiceError(EINVAL, "the job is ending (CLEANUP): its duration cannot change")
                }
                let expiration = Self.expiration(of: record, duration: duration)
                if expiration > 0, expiration <= now {
                    return ServiceError(EINVAL, "requested duration places job expiration in the past")
                }
            }
        } else if let queue = update.queue, queue == record.summary.queue {
            return ServiceError(EINVAL, "job queue is already set to \(queue)")
        }
        if let urgency = update.urgency, let refusal = Self.urgencyRefusal(record, urgency: urgency, by: requester) {
            return refusal
        }
        var trial = record
        let keys = update.jobspecKeys
        if !keys.isEmpty {
            do throws(ServiceError) {
                try trial.apply(EventlogEntry(timestamp: now, name: "jobspec-update", context: keys))
            } catch {
                return error
            }
        }
        return nil
    }

    /// Updates job `id` (see the table above); replies `.ok`, or the refusal.
    public mutating func update(_ request: RequestID, id: JobID, update: JobUpdate, by requester: Requester,
                                at now: Double) -> [Action] {
        if let refusal = updateRefusal(id: id, update: update, by: requester, at: now) {
            return [.respond(request, .error(refusal))]
        }
        guard let record = jobs[id] else { return [] }
        var actions: [Action] = []
        let keys = update.jobspecKeys
        if !keys.isEmpty { post(id, "jobspec-update", keys, at: now, into: &actions) }
        if record.state == .run, let duration = update.duration {
            let expiration = Self.expiration(of: record, duration: duration)
            post(id, "resource-update", ["expiration": .double(expiration)], at: now, into: &actions)
            runtime[id]?.expiration = expiration > 0 ? expiration : nil
            if expiration > 0 { actions.append(.wakeAt(expiration)) }
        }
        if update.changesRequest, var state = runtime[id], state.allocPending, !state.cancelSent {
            state.cancelSent = true
            runtime[id] = state
            actions.append(.cancelAlloc(id))
        }
        if let urgency = update.urgency {
            // The urgency path of job-manager.urgency, less its reply: it cannot refuse now.
            actions += setUrgency(request, id: id, urgency: urgency, by: requester, at: now).filter {
                if case .respond = $0 { false } else { true }
            }
        }
        actions.append(.respond(request, .ok))
        process([id], at: now, into: &actions)
        return actions
    }
}
