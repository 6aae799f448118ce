// The pending jobs in queue order, built for a queue of 100,000 jobs that mostly grows at
// the back and shrinks at the front.
// Invariants: `entries` is sorted by key and holds an entry for every pending job; it may
// also hold stale entries (of jobs that left or were re-prioritized), which iteration skips:
// an entry is live when `jobs[id]` carries the same insertion serial. `staleCount` counts
// stale entries after `head`; they are dropped by `tidy()` once they outnumber the live ones,
// so removal is O(1) and iteration amortized O(1) per job. Indices handed out by `nextLive`
// stay valid until the next `insert` or `tidy()`.
import FluxsFormats

/// Pending jobs, iterated in queue order (priority, submit time, id).
struct QueueOrder: Sendable {
    /// One place in the order: the job's key when it was inserted and that insertion's serial.
    private struct Entry: Sendable {
        var key: QueueKey
        var serial: UInt64
    }

    /// Each pending job by id, with the serial of its live entry.
    private var jobs: [JobID: (job: PendingJob, serial: UInt64)] = [:]
    /// Entries in ascending key order, live and stale.
    private var entries: [Entry] = []
    /// Index of the first entry that may be live.
    private var head = 0
    /// How many entries in `entries[head...]` are stale.
    private var staleCount = 0
    /// The serial of the next insertion.
    private var nextSerial: UInt64 = 0

    /// The number of pending jobs.
    var count: Int { jobs.count }

    /// The pending job `id`, if any.
    subscript(id: JobID) -> PendingJob? { jobs[id]?.job }

    /// The index from which `nextLive` starts a walk in queue order.
    var startIndex: Int { head }

    /// Adds a job that is not pending yet.
    mutating func insert(_ job: PendingJob) {
        precondition(jobs[job.id] == nil, "job \(job.id) is already queued")
        let entry = Entry(key: job.key, serial: nextSerial)
        nextSerial += 1
        jobs[job.id] = (job, entry.serial)
        if entries.last.map({ $0.key < entry.key }) ?? true {
            entries.append(entry)
        } else {
            entries.insert(entry, at: insertionIndex(of: entry.key))
        }
    }

    /// Removes a pending job and returns it.
    @discardableResult
    mutating func remove(_ id: JobID) -> PendingJob? {
        guard let removed = jobs.removeValue(forKey: id) else { return nil }
        staleCount += 1
        return removed.job
    }

    /// The first live job at or after `index`, with the index to continue from.
    func nextLive(from index: Int) -> (job: PendingJob, next: Int)? {
        var index = index
        while index < entries.count {
            let entry = entries[index]
            index += 1
            if let live = jobs[entry.key.id], live.serial == entry.serial { return (live.job, index) }
        }
        return nil
    }

    /// Skips the stale entries at the front and drops all stale entries when they outnumber
    /// the live ones.
    mutating func tidy() {
        while head < entries.count && !isLive(entries[head]) {
            head += 1
            staleCount -= 1
        }
        if staleCount > 1024 && staleCount > jobs.count {
            entries = entries[head...].filter(isLive)
            head = 0
            staleCount = 0
        }
    }

    private func isLive(_ entry: Entry) -> Bool { jobs[entry.key.id]?.serial == entry.serial }

    /// The first index in `entries[head...]` whose key is not below `key`.
    private func insertionIndex(of key: QueueKey) -> Int {
        var low = head, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].key < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
