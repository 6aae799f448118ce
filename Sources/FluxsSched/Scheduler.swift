// The scheduler core of RFC 27: it keeps the queue of jobs waiting for an allocation, the
// jobs holding resources, and the reservations of the queue policy, over a ResourceGraph.
// The job manager's requests map onto methods (alloc -> submit, cancel, prioritize, free,
// hello -> restore); `schedule(now:)` is one scheduling pass. Pure: time is whatever the
// caller passes in, so the same calls give the same decisions.
// Invariants: a job is in at most one of `queue` and `running`; `reservations` holds only
// queued jobs, each also booked in `graph`; `busyCores`/`busyGpus` are the totals of the
// allocations in `running`. A job's duration is its request's when > 0, else
// `defaultDuration` (3600 s unless configured); the queue stores the request with it filled in.
import FluxsFormats
import FluxsMessage

/// Decides which pending jobs get which resources and when.
public struct Scheduler: Sendable {
    /// What happens to jobs behind one that cannot start.
    public let queuePolicy: QueuePolicy
    /// How resources are chosen for a job.
    public let matchPolicy: MatchPolicy
    /// How many pending jobs one pass considers, in queue order.
    public let queueDepth: Int
    /// The duration of a job that gives none, in seconds.
    public let defaultDuration: Double

    /// The resources and their bookings.
    var graph: ResourceGraph
    /// Jobs waiting, in queue order.
    var queue = QueueOrder()
    /// Jobs holding resources.
    var running: [JobID: RunningJob] = [:]
    /// Queued jobs with a booked start time, and that time.
    var reservations: [JobID: Double] = [:]
    /// The last annotation sent for each queued job.
    var annotations: [JobID: Annotation] = [:]
    /// Jobs queued (or moved in the queue) since the last pass.
    var arrivals: [JobID] = []
    /// What the last pass saw, so that the next one can start where it left off.
    var cursor = PassCursor()
    /// The latest planned end among the jobs freed since the last pass.
    var latestFreedEnd = -Double.infinity
    /// Set when resources were freed: the next pass walks the queue from the head.
    var needsFullPass = false
    /// Set when the reservations may be wrong: the next pass drops and rebuilds them.
    var needsRebuild = false
    /// Cores and gpus of the whole instance, and those held by running jobs.
    let totalCores: Int, totalGpus: Int
    var busyCores = 0, busyGpus = 0

    /// The earliest reserved start time; the caller should run a pass by then.
    public internal(set) var nextWakeup: Double?

    /// A scheduler for the resources `resources`, all free and usable.
    public init(resources: ResourceSet, queuePolicy: QueuePolicy = .easy, matchPolicy: MatchPolicy = .firstFit,
                queueDepth: Int = 1000, defaultDuration: Double = 3600) {
        graph = ResourceGraph(resources)
        self.queuePolicy = queuePolicy
        self.matchPolicy = matchPolicy
        self.queueDepth = max(queueDepth, 1)
        self.defaultDuration = defaultDuration
        totalCores = graph.ncores
        totalGpus = graph.ngpus
    }

    /// The number of jobs waiting.
    public var pendingCount: Int { queue.count }
    /// The number of jobs holding resources.
    public var runningCount: Int { running.count }

    /// The resources the scheduler works on, with their current bookings.
    public var resources: ResourceGraph { graph }

    /// Queues a job (RFC 27 sched.alloc). A job that no state of the instance could ever run
    /// is denied at once with the graph's reason, as is an id the scheduler already holds.
    public mutating func submit(_ job: PendingJob) -> [SchedulerDecision] {
        if queue[job.id] != nil || running[job.id] != nil {
            return [.deny(job: job.id, reason: "job \(job.id) is already known to the scheduler")]
        }
        var job = job
        if job.request.duration <= 0 { job.request.duration = defaultDuration }
        if let reason = graph.infeasibility(job.request) { return [.deny(job: job.id, reason: reason)] }
        queue.insert(job)
        arrivals.append(job.id)
        return []
    }

    /// Drops a pending job (RFC 27 sched.cancel); a job that is not pending is ignored.
    public mutating func cancel(_ id: JobID) {
        guard let job = queue.remove(id) else { return }
        annotations[id] = nil
        if dropReservation(of: id) { needsRebuild = true }
        if cursor.firstBlocked == job.key { needsFullPass = true }
    }

    /// Gives a pending job a new priority (RFC 27 sched.prioritize); others are ignored.
    public mutating func prioritize(_ id: JobID, priority: Int64) {
        guard var job = queue[id], job.priority != priority else { return }
        let oldKey = job.key
        queue.remove(id)
        job.priority = priority
        queue.insert(job)
        if dropReservation(of: id) || cursor.lastReserved.map({ job.key < $0 }) ?? false {
            needsRebuild = true
        } else if cursor.firstBlocked.map({ job.key < $0 || oldKey == $0 }) ?? false {
            needsFullPass = true
        } else {
            arrivals.append(id)
        }
    }

    /// Releases the resources of a job that ended (RFC 27 sched.free); unknown ids are ignored.
    public mutating func free(_ id: JobID) {
        guard let job = running.removeValue(forKey: id) else { return }
        graph.free(id)
        busyCores -= job.cores
        busyGpus -= job.gpus
        latestFreedEnd = max(latestFreedEnd, job.plannedEnd)
        needsFullPass = true
    }

    /// Sets the ranks that may not be used (down or drained) as the graph takes them.
    public mutating func setUnavailable(_ ranks: IDSet) {
        graph.setUnavailable(ranks)
        needsRebuild = true
    }

    /// Takes back the allocations of jobs that were running before a restart (RFC 27 hello).
    /// A job's planned end is its R's expiration (never, when R has none).
    public mutating func restore(running jobs: [(JobID, ResourceSet)]) throws(ServiceError) {
        for (id, R) in jobs {
            try graph.restore(id, R)
            let job = RunningJob(plannedEnd: R.expiration > 0 ? R.expiration : .infinity, cores: R.ncores, gpus: R.ngpus)
            running[id] = job
            busyCores += job.cores
            busyGpus += job.gpus
        }
        needsRebuild = true
    }

    /// Removes the reservation of `id`, if it had one; true when it did.
    mutating func dropReservation(of id: JobID) -> Bool {
        guard reservations.removeValue(forKey: id) != nil else { return false }
        graph.cancelReservation(id)
        return true
    }
}

/// A job holding resources: when it should end and how much it holds.
struct RunningJob: Sendable {
    var plannedEnd: Double
    var cores: Int
    var gpus: Int
}
