// A running job's new end (RFC 27 sched.expiration, as flux-core's job manager sends it
// when the instance owner updates a running job's duration): the allocation keeps its
// resources, its planned end moves, and since reservations and backfill were planned
// around the old end, the next pass rebuilds them.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension Scheduler {
    /// Sets the expiration of running job `id` (0: none; it is then planned for
    /// `defaultDuration` from its start, as a job without a duration is). ENOENT when the
    /// job holds no resources here.
    public mutating func setExpiration(_ id: JobID, _ expiration: Double) throws(ServiceError) {
        guard running[id] != nil, var allocation = graph.allocations[id] else {
            throw ServiceError(ENOENT, "job \(id) holds no resources")
        }
        let end = expiration > 0 ? expiration : allocation.start + defaultDuration
        allocation.end = end
        allocation.R.expiration = expiration
        graph.allocations[id] = allocation
        running[id]?.plannedEnd = end
        needsRebuild = true
    }
}
