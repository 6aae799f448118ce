// A job waiting in the scheduler's queue (RFC 27 sched.alloc) and the key that orders the
// queue: priority descending, then submit time ascending, then job id ascending. The key is
// a total order over distinct ids, so the queue order is deterministic.
import FluxsFormats

/// A job waiting for resources.
public struct PendingJob: Sendable, Hashable {
    /// The job id.
    public var id: JobID
    /// The queue priority; higher runs first (RFC 27: 0 through 4294967295).
    public var priority: Int64
    /// When the job was submitted, in the scheduler's clock (seconds).
    public var submitTime: Double
    /// What the job asks for.
    public var request: ResourceRequest

    /// A pending job.
    public init(id: JobID, priority: Int64 = 16, submitTime: Double, request: ResourceRequest) {
        self.id = id
        self.priority = priority
        self.submitTime = submitTime
        self.request = request
    }

    /// The job's place in queue order.
    var key: QueueKey { QueueKey(priority: priority, submitTime: submitTime, id: id) }
}

/// A job's place in queue order: smaller keys are served first.
struct QueueKey: Sendable, Hashable, Comparable {
    var priority: Int64
    var submitTime: Double
    var id: JobID

    static func < (a: QueueKey, b: QueueKey) -> Bool {
        if a.priority != b.priority { return a.priority > b.priority }
        if a.submitTime != b.submitTime { return a.submitTime < b.submitTime }
        return a.id < b.id
    }
}
