// job-manager.update {id, updates: {KEY: VALUE, ...}} -> {} (fluxs-update(1); the rules
// are FluxsJobs' JobUpdate and JobManagerCore+Update.swift). What the core cannot see is
// checked here first, all before anything changes:
//   - a queue: queues must be configured, the queue known and enabled, and the job's
//     constraints those of its present queue (they are replaced by the new queue's, as
//     flux-core's update-queue does: "job appears to have non-queue constraints ...");
//     then the scheduler judges the new request (sched.feasibility);
//   - a running job's duration: the scheduler moves the job's planned end
//     (sched.expiration), and refuses it in an instance that ends before then.
// After those answers the core's rules are checked again (the job may have moved on),
// and the job's jobspec in the KVS (job.<id>.jobspec), the copy sent with allocation
// requests, and for a running job R (job.<id>.R, its expiration) are rewritten in the
// commit that holds the `jobspec-update` and `resource-update` entries, so that a
// restart reads what replaying those entries gives.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

extension JobManagerModule {
    /// job-manager.update.
    func update(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        let id = try body.jobID()
        guard let updates = body["updates"]?.objectValue else {
            throw ServiceError(EPROTO, "missing \"updates\" (an object) in the request")
        }
        var update = try JobUpdate(updates: updates)
        if let refusal = core.updateRefusal(id: id, update: update, by: requester(request), at: now) { throw refusal }
        let jobspec = try updatedJobspec(id, &update)
        guard let record = core.record(id) else { throw ServiceError(ENOENT, "unknown job id") }
        if record.state.isRunning, let duration = update.duration {
            let expiration = JobManagerCore.expiration(of: record, duration: duration)
            context.rpc(.sched.expiration, ["id": id.wire, "expiration": .double(expiration)]) { [unowned self] answer in
                if answer.errnum != 0, answer.errnum != ENOSYS {
                    let refusal = ServiceError(answer.errnum, "scheduler refused expiration update: \(answer.errorText)")
                    return self.context.respond(to: request, error: refusal)
                }
                self.commitUpdate(request, id, update)
            }
        } else if update.queue != nil {
            context.rpc(.sched.feasibility, ["jobspec": jobspec.json]) { [unowned self] answer in
                if answer.errnum != 0, answer.errnum != ENOSYS {
                    return self.context.respond(to: request, error: ServiceError(response: answer))
                }
                self.commitUpdate(request, id, update)
            }
        } else {
            commitUpdate(request, id, update)
        }
    }

    /// Applies a checked update: the core's rules once more, then the jobspec (and R)
    /// beside the events, then the events and the reply.
    private func commitUpdate(_ request: Message, _ id: JobID, _ checked: JobUpdate) {
        let now = Self.now()
        var update = checked
        let jobspec: Jobspec
        do throws(ServiceError) {
            if let refusal = core.updateRefusal(id: id, update: update, by: requester(request), at: now) { throw refusal }
            jobspec = try updatedJobspec(id, &update)
        } catch {
            return context.respond(to: request, error: error)
        }
        let actions = core.update(track(request), id: id, update: update, by: requester(request), at: now)
        let refused = actions.contains { if case .respond(_, .error) = $0 { true } else { false } }
        let keys = JobKeys(id)
        if !refused, !update.jobspecKeys.isEmpty {
            jobspecs[id] = jobspec.json
            batch.ops.append(.put(keys.jobspec, jobspec.json))
        }
        for case .appendEvent(id, let entry) in actions where entry.name == "resource-update" {
            guard var R = allocations[id], let expiration = entry.context?["expiration"]?.doubleValue else { continue }
            R.expiration = expiration
            allocations[id] = R
            batch.ops.append(.put(keys.R, R.json))
        }
        perform(actions)
        // As job-manager.urgency does: a job the scheduler holds keeps its place only if
        // told its new priority (a withdrawn request is made again with it anyway).
        if !refused, update.urgency != nil { tellSchedulerPriority(id) }
    }

    /// The job's jobspec with the update's jobspec keys set; a queue is checked against
    /// the configured queues and brings its constraints into `update`.
    private func updatedJobspec(_ id: JobID, _ update: inout JobUpdate) throws(ServiceError) -> Jobspec {
        guard let spec = jobspecs[id] else { throw ServiceError(EINVAL, "job is inactive") }
        var jobspec: Jobspec
        do { jobspec = try Jobspec(validating: spec) } catch {
            throw ServiceError(EINVAL, "the job's jobspec does not validate: \(error.description)")
        }
        if let name = update.queue { update.constraints = try queueConstraints(jobspec, to: name) }
        do {
            if let duration = update.duration { try jobspec.setAttribute("system.duration", .double(duration)) }
            if let queue = update.queue { try jobspec.setAttribute("system.queue", .string(queue)) }
            if let constraints = update.constraints { try jobspec.setAttribute("system.constraints", constraints) }
            if let name = update.name { try jobspec.setAttribute("system.job.name", .string(name)) }
        } catch {
            throw ServiceError(EINVAL, error.description)
        }
        return jobspec
    }

    /// The constraints a job moving to queue `name` gets (nil when neither queue has a
    /// property), or why it may not move there.
    private func queueConstraints(_ jobspec: Jobspec, to name: String) throws(ServiceError) -> JSONValue? {
        // Without configured queues there is none, or only the anonymous one (name "").
        if queues.allSatisfy({ $0.name.isEmpty }) {
            throw ServiceError(EINVAL, "no queues are configured: the job cannot move to queue \"\(name)\"")
        }
        guard let target = queues.first(where: { $0.name == name }) else {
            throw ServiceError(EINVAL, "unknown queue \"\(name)\" (queues: \(queues.map(\.name).joined(separator: ", ")))")
        }
        guard target.enabled else {
            throw ServiceError(EINVAL, "queue \(name) is currently disabled"
                                + (target.disabledReason.isEmpty ? "" : ": \(target.disabledReason)"))
        }
        let present = queues.first { $0.name == (jobspec.queue ?? queues.first?.name) }
        let expected: JSONValue? = present?.property.map { ["properties": [.string($0)]] }
        if jobspec.constraints.map(JSONValue.object) != expected {
            throw ServiceError(EINVAL, "job appears to have non-queue constraints, unable to update queue to \(name)")
        }
        if let property = target.property { return ["properties": [.string(property)]] }
        return expected == nil ? nil : [:]
    }
}
