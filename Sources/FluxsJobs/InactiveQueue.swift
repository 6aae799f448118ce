// The inactive jobs in the order they became inactive, for purging by age and count
// without sorting every inactive job each time one ends.
import FluxsFormats

/// Inactive job ids, oldest first: a FIFO (an array and the index of its head).
struct InactiveQueue: Sendable {
    private var ids: [JobID]
    private var head = 0

    init(_ ids: [JobID] = []) { self.ids = ids }

    /// How many jobs are queued.
    var count: Int { ids.count - head }
    /// The oldest.
    var first: JobID? { head < ids.count ? ids[head] : nil }

    /// The jobs, newest first.
    var newestFirst: ReversedCollection<ArraySlice<JobID>> { ids[head...].reversed() }

    /// Adds a job that has just become inactive.
    mutating func append(_ id: JobID) { ids.append(id) }

    /// Drops the oldest (the array is compacted once half of it is dropped).
    mutating func removeFirst() {
        head += 1
        if head >= 1024 && head * 2 >= ids.count {
            ids.removeFirst(head)
            head = 0
        }
    }

    /// Drops `id`, the oldest in the usual case (a purge by age or count), else wherever
    /// it is.
    mutating func removeOldest(_ id: JobID) {
        if first == id { removeFirst() } else { remove(id) }
    }

    /// Drops `id` wherever it is (a purge by id: rare, so a scan).
    mutating func remove(_ id: JobID) {
        if let index = ids[head...].firstIndex(of: id) { ids.remove(at: index) }
    }
}
