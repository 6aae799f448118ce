// Requests from users: submit, urgency, cancel, raise. Each checks its caller and the
// job, replies with an error and changes nothing when refused (messages as flux-core's):
//
//   request   refused when                                  errno   message
//   submit    the id is taken                               EEXIST  job ID already exists
//             urgency outside 0...31                        EINVAL  urgency must be 0-31
//             a guest asks for urgency > 16                 EPERM   only the instance owner can submit with urgency >16
//             a dependency is malformed                     EINVAL  (JobDependency's message)
//             singleton without a given job name            EINVAL  singleton jobs require a job name
//   urgency   unknown job                                   ENOENT  unknown job id
//             a guest, not the job's owner                  EPERM   guests can only reprioritize their own jobs
//             a guest asks for > 16                         EPERM   guests can only adjust urgency <= 16
//             outside 0...31                                EINVAL  urgency must be 0-31
//             the job is inactive                           EINVAL  job is inactive
//             the job has resources (RUN, CLEANUP)          EINVAL  urgency cannot be changed once resources are allocated
//   cancel,   unknown job                                   ENOENT  unknown job id
//   raise     a guest, not the job's owner                  EPERM   guests can only raise exceptions on their own jobs
//             the job is inactive                           EINVAL  job is inactive
//             severity outside 0...7                        EINVAL  severity must be 0-7
//
// A dependency on an unknown job, or on one whose end already rules it out, is not a
// refusal: the job is accepted and then gets a fatal "dependency" exception.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

extension JobManagerCore {
    /// Submits job `id` (the service allocates FLUIDs); replies `.submitted(id)`.
    public mutating func submit(_ request: RequestID, id: JobID, summary: JobSummary,
                                urgency: Int = JobUrgency.default, flags: Int = 0,
                                by requester: Requester, at now: Double) -> [Action] {
        if jobs[id] != nil { return [.respond(request, .error(ServiceError(EEXIST, "job \(id) already exists")))] }
        if !JobUrgency.range.contains(urgency) {
            return [.respond(request, .error(ServiceError(EINVAL, "urgency must be 0-31")))]
        }
        if !requester.isOwner, urgency > JobUrgency.default {
            return [.respond(request, .error(ServiceError(EPERM, "only the instance owner can submit with urgency >16")))]
        }
        var dependencies: [JobDependency] = []
        for entry in summary.dependencies {
            do throws(ServiceError) {
                dependencies.append(try JobDependency(entry))
            } catch {
                return [.respond(request, .error(error))]
            }
        }
        if dependencies.contains(where: { $0.scheme == .singleton }), !summary.nameGiven {
            return [.respond(request, .error(ServiceError(EINVAL, "singleton jobs require a job name")))]
        }
        var actions: [Action] = []
        jobs[id] = JobRecord(id: id, summary: summary)
        runtime[id] = Runtime()
        post(id, "submit", ["urgency": .int(Int64(urgency)), "userid": .int(Int64(requester.userid)),
                            "flags": .int(Int64(flags)), "version": 1], at: now, into: &actions)
        post(id, "validate", nil, at: now, into: &actions)
        actions.append(.respond(request, .submitted(id)))
        addDependencies(id, dependencies, at: now, into: &actions)
        process([id], at: now, into: &actions)
        return actions
    }

    /// Sets a pending job's urgency; replies `.urgency(old:)`. In SCHED the priority is
    /// recomputed at once (a held job's allocation request is withdrawn).
    public mutating func setUrgency(_ request: RequestID, id: JobID, urgency: Int, by requester: Requester,
                                    at now: Double) -> [Action] {
        guard let record = jobs[id] else { return [.respond(request, .error(ServiceError(ENOENT, "unknown job id")))] }
        if let refusal = Self.urgencyRefusal(record, urgency: urgency, by: requester) {
            return [.respond(request, .error(refusal))]
        }
        var actions: [Action] = []
        post(id, "urgency", ["urgency": .int(Int64(urgency)), "userid": .int(Int64(requester.userid))],
             at: now, into: &actions)
        actions.append(.respond(request, .urgency(old: record.urgency)))
        if record.state == .sched, record.priority != JobPriority.of(urgency: urgency) {
            post(id, "priority", ["priority": .int(Int64(JobPriority.of(urgency: urgency)))], at: now, into: &actions)
        }
        process([id], at: now, into: &actions)
        return actions
    }

    /// Why `requester` may not set the urgency of `record` to `urgency` (nil: they may).
    static func urgencyRefusal(_ record: JobRecord, urgency: Int, by requester: Requester) -> ServiceError? {
        if !requester.isOwner, requester.userid != record.userid {
            ServiceError(EPERM, "guests can only reprioritize their own jobs")
        } else if !requester.isOwner, urgency > JobUrgency.default {
            ServiceError(EPERM, "guests can only adjust urgency <= 16")
        } else if !JobUrgency.range.contains(urgency) {
            ServiceError(EINVAL, "urgency must be 0-31")
        } else if record.state == .inactive {
            ServiceError(EINVAL, "job is inactive")
        } else if record.state.isRunning {
            ServiceError(EINVAL, "urgency cannot be changed once resources are allocated")
        } else {
            nil
        }
    }

    /// Cancels a job: a fatal exception of type "cancel" with `note`.
    public mutating func cancel(_ request: RequestID, id: JobID, note: String = "", by requester: Requester,
                                at now: Double) -> [Action] {
        raise(request, id: id, exception: JobException(type: "cancel", severity: 0, note: note),
              by: requester, at: now)
    }

    /// Raises an exception on a job (the requester's userid is recorded with it).
    public mutating func raise(_ request: RequestID, id: JobID, exception: JobException, by requester: Requester,
                               at now: Double) -> [Action] {
        guard let record = jobs[id] else { return [.respond(request, .error(ServiceError(ENOENT, "unknown job id")))] }
        let refusal: ServiceError? =
            if !requester.isOwner, requester.userid != record.userid {
                ServiceError(EPERM, "guests can only raise exceptions on their own jobs")
            } else if record.state == .inactive {
                ServiceError(EINVAL, "job is inactive")
            } else if !(0...7).contains(exception.severity) {
                ServiceError(EINVAL, "severity must be 0-7")
            } else {
                nil
            }
        if let refusal { return [.respond(request, .error(refusal))] }
        var raised = exception
        raised.userid = requester.userid
        var actions: [Action] = []
        post(id, "exception", raised.context, at: now, into: &actions)
        actions.append(.respond(request, .ok))
        process([id], at: now, into: &actions)
        return actions
    }

    /// Adds keys to a job's memo (null removes one): posts a memo event. The job's owner
    /// (a child instance telling where it is) or the instance owner may.
    public mutating func memo(_ request: RequestID, id: JobID, memo: [String: JSONValue], by requester: Requester,
                              at now: Double) -> [Action] {
        guard let record = jobs[id] else { return [.respond(request, .error(ServiceError(ENOENT, "unknown job id")))] }
        if !requester.isOwner, requester.userid != record.userid {
            return [.respond(request, .error(ServiceError(EPERM, "guests can only add memos to their own jobs")))]
        }
        if record.state == .inactive { return [.respond(request, .error(ServiceError(EINVAL, "job is inactive")))] }
        if memo.isEmpty { return [.respond(request, .error(ServiceError(EINVAL, "the memo is empty")))] }
        var actions: [Action] = []
        post(id, "memo", memo, at: now, into: &actions)
        actions.append(.respond(request, .ok))
        return actions
    }
}
