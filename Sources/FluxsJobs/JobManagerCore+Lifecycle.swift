// Purging inactive jobs and restarting from the KVS.
//
// Purge (flux-core's `flux job purge`): inactive jobs, oldest first (in the order they
// became inactive; after a restart, by t_inactive), go when inactive longer than
// `ageLimit` seconds, and then while more than `countLimit` inactive jobs remain. Each
// gone job yields `.removeJob`.
//
// Restore: records rebuilt by replaying each job's eventlog. Every active job gets a
// `flux-restart` entry. Exec does not survive a restart here (no reattach), so a job
// whose shells may have been running gets a fatal exception of type "exec" and is
// cleaned up without waiting for exec; held resources are freed through the scheduler
// (which must first be told of `allocations`). Pending jobs pick up where they were:
// outstanding dependencies are watched again and SCHED jobs re-request resources.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

extension JobManagerCore {
    /// Removes inactive jobs by age and count; returns a `.removeJob` per job removed,
    /// oldest first.
    /// Takes from the front of `inactiveOrder`: the cost is the jobs purged, not the jobs kept.
    public mutating func purge(ageLimit: Double? = nil, countLimit: Int? = nil, at now: Double) -> [Action] {
        var doomed: [JobID] = []
        while let id = inactiveOrder.first {
            guard let record = jobs[id], record.state == .inactive else {
                inactiveOrder.removeFirst()
                continue
            }
            let age = now - (record.timestamps[.inactive] ?? 0)
            let tooOld = ageLimit.map { age > $0 } ?? false
            let tooMany = countLimit.map { inactiveOrder.count > $0 } ?? false
            guard tooOld || tooMany else { break }
            inactiveOrder.removeFirst()
            doomed.append(id)
        }
        for id in doomed {
            purged[jobs[id]?.summary.queue ?? "", default: 0] += 1
            if let userid = jobs[id]?.userid { forgetInactive(id, of: userid) }
            jobs[id] = nil
            waiters[id] = nil
        }
        return doomed.map { .removeJob($0) }
    }

    /// Forgets the inactive job `id` (`fluxs job purge -f ID`): EINVAL for an active job,
    /// ENOENT for one the job manager does not know.
    public mutating func purge(_ id: JobID) throws(ServiceError) -> [Action] {
        guard let record = jobs[id] else { throw ServiceError(ENOENT, "unknown job id \(id)") }
        guard record.state == .inactive else { throw ServiceError(EINVAL, "cannot purge active job \(id)") }
        inactiveOrder.remove(id)
        forgetInactive(id, of: record.userid)
        purged[record.summary.queue ?? "", default: 0] += 1
        jobs[id] = nil
        waiters[id] = nil
        return [.removeJob(id)]
    }

    /// Drops a purged job from its user's inactive jobs (and the user, once none is left).
    private mutating func forgetInactive(_ id: JobID, of userid: UInt32) {
        inactiveByUser[userid]?.removeOldest(id)
        if inactiveByUser[userid]?.count == 0 { inactiveByUser[userid] = nil }
    }

    /// A job manager rebuilt from replayed records, and the actions to resume with.
    public static func restore(_ restored: [JobRecord], allocLimit: Int? = nil,
                               at now: Double) -> (JobManagerCore, [Action]) {
        var core = JobManagerCore(allocLimit: allocLimit)
        var actions: [Action] = []
        for record in restored { core.jobs[record.id] = record }
        let inactive = restored.filter { $0.state == .inactive }
            .sorted { ($0.timestamps[.inactive] ?? 0, $0.id) < ($1.timestamps[.inactive] ?? 0, $1.id) }
        core.inactiveOrder = InactiveQueue(inactive.map(\.id))
        for record in inactive { core.inactiveByUser[record.userid, default: InactiveQueue()].append(record.id) }
        let active = restored.filter { $0.state != .inactive }.map(\.id).sorted()
        for id in active {
            guard let record = core.jobs[id] else { continue }
            var state = Runtime()
            core.post(id, "flux-restart", nil, at: now, into: &actions)
            if record.allocated, !record.releasedFinal, record.state == .run || record.state == .cleanup {
                state.execLost = true
                if record.fatalException == nil {
                    let exception = JobException(type: "exec", severity: 0,
                                                 note: "job shells were lost when the job manager restarted")
                    core.post(id, "exception", exception.context, at: now, into: &actions)
                }
            }
            core.runtime[id] = state
            switch record.state {
            case .new:
                core.post(id, "validate", nil, at: now, into: &actions)
                core.addDependencies(id, Self.parsed(record.summary.dependencies), at: now, into: &actions)
            case .depend:
                for dependency in Self.parsed(record.summary.dependencies)
                where record.dependencies.contains(dependency.description) {
                    if !core.judge(Waiter(job: id, dependency: dependency), at: now, into: &actions) { break }
                }
            default:
                break
            }
        }
        core.process(active, at: now, into: &actions)
        return (core, actions)
    }

    /// The dependencies that parse (a submitted job's always do).
    private static func parsed(_ entries: [JobspecDependency]) -> [JobDependency] {
        entries.compactMap { entry in try? JobDependency(entry) }
    }
}
