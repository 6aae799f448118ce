// One scheduling pass (RFC 27: the scheduler's answer to the alloc requests it holds).
// Jobs are considered in queue order, at most `queueDepth` of them; each one that fits now
// starts (backfilling around the reservations already booked); a blocked job gets a
// reservation while the policy's reservation depth allows.
// Reservations are kept from pass to pass. A pass drops and rebuilds them only when they may
// be wrong: an allocation ended before its planned end (they may move earlier), a job was
// queued or re-prioritized ahead of a reserved one, a reserved job was cancelled, ranks went
// down or up, or allocations were restored. A pass with no freed resources and no rebuild
// looks only at the jobs that arrived since the last one: nothing else can have changed.
import FluxsFormats

/// What the last pass saw of the queue, so that the next one can continue from it.
struct PassCursor: Sendable {
    /// How many jobs the pass considered.
    var considered = 0
    /// The last job considered when the queue depth cut the pass short.
    var frontier: QueueKey?
    /// The first job that could not start.
    var firstBlocked: QueueKey?
    /// How many jobs hold a reservation, and the last of them in queue order.
    var reserved = 0
    var lastReserved: QueueKey?

    mutating func noteBlocked(_ key: QueueKey) {
        if firstBlocked == nil { firstBlocked = key }
    }

    mutating func noteReserved(_ key: QueueKey) {
        reserved += 1
        if lastReserved.map({ $0 < key }) ?? true { lastReserved = key }
    }
}

extension Scheduler {
    /// Runs one scheduling pass at time `now` and returns the allocations and the changed
    /// annotations, in queue order.
    public mutating func schedule(now: Double) -> [SchedulerDecision] {
        var decisions: [SchedulerDecision] = []
        let newKeys = arrivals.compactMap { queue[$0]?.key }
        let firstNew = newKeys.min()
        if latestFreedEnd > now { needsRebuild = true }
        if let last = cursor.lastReserved, let firstNew, firstNew < last { needsRebuild = true }
        if let wakeup = nextWakeup, wakeup <= now { needsFullPass = true }
        if queuePolicy == .fcfs, let blocked = cursor.firstBlocked, let firstNew, firstNew < blocked {
            needsFullPass = true
        }
        if needsRebuild {
            for id in Array(reservations.keys) { _ = dropReservation(of: id) }
            needsFullPass = true
        }
        if needsFullPass || newKeys.count > queueDepth {
            fullPass(now: now, arrivals: newKeys, into: &decisions)
        } else {
            incrementalPass(now: now, arrivals: newKeys.sorted(), into: &decisions)
        }
        arrivals.removeAll(keepingCapacity: true)
        latestFreedEnd = -.infinity
        needsFullPass = false
        needsRebuild = false
        nextWakeup = reservations.values.min()
        return decisions
    }

    /// Walks the queue from the head. `arrivals` are the keys queued since the last pass.
    private mutating func fullPass(now: Double, arrivals: [QueueKey], into decisions: inout [SchedulerDecision]) {
        let previousBlocked = cursor.firstBlocked
        cursor = PassCursor()
        var failed = FailedRequests()
        queue.tidy()
        var index = queue.startIndex
        while let (job, next) = queue.nextLive(from: index) {
            index = next
            if cursor.considered == queueDepth {
                cursor.frontier = job.key
                break
            }
            cursor.considered += 1
            // Under fcfs, the jobs behind an unchanged blocked head keep their annotation.
            if queuePolicy == .fcfs, let blocked = cursor.firstBlocked, blocked == previousBlocked {
                for key in arrivals.filter({ blocked < $0 }).sorted() {
                    annotate(key.id, Annotation(reason: .behind(job: blocked.id)), into: &decisions)
                }
                break
            }
            consider(job, now: now, failed: &failed, into: &decisions)
        }
    }

    /// Considers only the jobs that arrived since the last pass (`arrivals`, in queue order),
    /// which is all that can have changed when no resources were freed and no reservation moved.
    private mutating func incrementalPass(now: Double, arrivals: [QueueKey], into decisions: inout [SchedulerDecision]) {
        var failed = FailedRequests()
        for key in arrivals {
            if let frontier = cursor.frontier, frontier < key { continue }
            guard let job = queue[key.id] else { continue }
            cursor.considered += 1
            consider(job, now: now, failed: &failed, into: &decisions)
        }
    }

    /// Starts `job` if it fits now, else books a reservation or annotates why it waits.
    /// `failed` holds the requests that did not fit in this pass: they cannot fit later in it.
    private mutating func consider(_ job: PendingJob, now: Double, failed: inout FailedRequests,
                                   into decisions: inout [SchedulerDecision]) {
        let key = job.key
        if let reserved = reservations[job.id] {
            if reserved > now {
                cursor.noteBlocked(key)
                cursor.noteReserved(key)
                return
            }
            _ = dropReservation(of: job.id)
        }
        if queuePolicy == .fcfs, let blocked = cursor.firstBlocked {
            annotate(job.id, Annotation(reason: .behind(job: blocked.id)), into: &decisions)
            return
        }
        if let R = allocateNow(job, now: now, failed: &failed) {
            start(job, R, now: now, into: &decisions)
            return
        }
        cursor.noteBlocked(key)
        if cursor.reserved < queuePolicy.reservationDepth {
            reserve(job, now: now, into: &decisions)
        } else if queuePolicy == .fcfs {
            let estimate = graph.earliestStart(job.request, now: now, policy: matchPolicy)
            let reason: PendingReason = estimate == nil ? .onlyUnavailable : .insufficientResources
            annotate(job.id, Annotation(estimatedStart: estimate?.time, reason: reason), into: &decisions)
        } else {
            annotate(job.id, Annotation(reason: .insufficientResources), into: &decisions)
        }
    }

    /// The allocation of `job` now, or nil. Requests larger than the idle cores or gpus, or
    /// containing one that already failed in this pass, are not tried.
    private mutating func allocateNow(_ job: PendingJob, now: Double, failed: inout FailedRequests) -> ResourceSet? {
        let request = job.request
        guard request.nslots * request.coresPerSlot <= totalCores - busyCores,
              request.nslots * request.gpusPerSlot <= totalGpus - busyGpus,
              !failed.excludes(request)
        else { return nil }
        if let R = graph.allocate(job.id, request, now: now, policy: matchPolicy) { return R }
        failed.insert(request)
        return nil
    }

    /// Moves `job` from the queue to the running jobs with `R`.
    private mutating func start(_ job: PendingJob, _ R: ResourceSet, now: Double, into decisions: inout [SchedulerDecision]) {
        queue.remove(job.id)
        annotations[job.id] = nil
        let record = RunningJob(plannedEnd: now + job.request.duration, cores: R.ncores, gpus: R.ngpus)
        running[job.id] = record
        busyCores += record.cores
        busyGpus += record.gpus
        decisions.append(.allocate(job: job.id, R: R))
    }

    /// Books `job` at its earliest start, or annotates that nothing usable can run it.
    private mutating func reserve(_ job: PendingJob, now: Double, into decisions: inout [SchedulerDecision]) {
        guard let (time, R) = graph.earliestStart(job.request, now: now, policy: matchPolicy) else {
            annotate(job.id, Annotation(reason: .onlyUnavailable), into: &decisions)
            return
        }
        graph.reserve(job.id, R, at: time, duration: job.request.duration)
        reservations[job.id] = time
        cursor.noteReserved(job.key)
        annotate(job.id, Annotation(estimatedStart: time, reason: .reserved(at: time)), into: &decisions)
    }

    /// Sends `annotation` for `id` unless it is the one last sent.
    private mutating func annotate(_ id: JobID, _ annotation: Annotation, into decisions: inout [SchedulerDecision]) {
        guard annotations[id] != annotation else { return }
        annotations[id] = annotation
        decisions.append(.annotate(job: id, estimatedStart: annotation.estimatedStart, reason: annotation.reason.text))
    }
}
