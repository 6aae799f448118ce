// The pure heart of the job manager (no I/O): job records and the bookkeeping that
// drives them through RFC 21. Every input returns the actions the service must perform,
// in order. A state change is always an `.appendEvent` first: the core applies the
// entry to its own record and the service appends the same entry to job.<id>.eventlog,
// so replaying that log rebuilds the record (JobRecord.init(replaying:)).
//
// Life of a job, as driven here (JobManagerCore+Advance.swift):
//   submit     -> submit, validate, dependency-add per dependency; reply with the id
//   DEPEND     -> dependency-remove as each is met; depend once none remain
//   PRIORITY   -> priority (JobPriority.of(urgency))
//   SCHED      -> requestAlloc in queue order (priority desc, id asc), at most
//                 `allocLimit` outstanding; never for priority 0 (held)
//   allocated  -> alloc (R kept with it), startExec; a time limit arms a timer
//   started/finished/released -> start, finish (-> CLEANUP), release
//   CLEANUP    -> cancelAlloc / killExec / requestFree as needed; clean when nothing
//                 is outstanding (-> INACTIVE); then dependent jobs are re-judged
// A fatal exception (cancel, timeout, dependency, alloc, ...) moves any active job to
// CLEANUP, from where the same cleanup rules finish it.
//
// The service's duties: perform actions in order, write the jobspec with the submit
// entry and R with the alloc entry, reply only after the entries before the reply are
// committed, arm a timer for `.wakeAt(t)` and then call `on(.tick, at: t)`, and report
// scheduler and exec replies as `Event`s. After `.startExec`, exec must end with
// `released(final: true)` even when killed before the shells start.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

/// The job manager's state and rules, without I/O.
public struct JobManagerCore: Sendable {
    /// An opaque handle the service uses to match replies to requests.
    public typealias RequestID = UInt64

    /// Who makes a request.
    public struct Requester: Sendable, Hashable {
        /// The user id.
        public var userid: UInt32
        /// The roles (the instance owner may act on any job and use urgency > 16).
        public var rolemask: Roles

        /// A requester as given.
        public init(userid: UInt32, rolemask: Roles) {
            self.userid = userid
            self.rolemask = rolemask
        }

        /// True for the instance owner.
        public var isOwner: Bool { rolemask.contains(.owner) }
    }

    /// A reply to a request.
    public enum Reply: Sendable, Hashable {
        /// The job was accepted.
        case submitted(JobID)
        /// The urgency was changed; the previous value.
        case urgency(old: Int)
        /// Done.
        case ok
        /// Refused.
        case error(ServiceError)
    }

    /// What the service must do.
    public enum Action: Sendable, Hashable {
        /// Append this entry to job.<id>.eventlog (with the jobspec for submit, R for alloc).
        case appendEvent(JobID, EventlogEntry)
        /// Ask the scheduler for resources.
        case requestAlloc(JobID)
        /// Withdraw an outstanding allocation request.
        case cancelAlloc(JobID)
        /// Start the job shells on the allocated resources.
        case startExec(JobID)
        /// Signal the job shells (SIGTERM on a fatal exception, SIGALRM on timeout).
        case killExec(JobID, signal: Int32)
        /// Return the job's resources to the scheduler.
        case requestFree(JobID)
        /// Call `on(.tick, at:)` at this time.
        case wakeAt(Double)
        /// Remove job.<id> from the KVS (purge).
        case removeJob(JobID)
        /// Reply to a request.
        case respond(RequestID, Reply)
    }

    /// What the scheduler, exec and the clock report.
    public enum Event: Sendable, Hashable {
        /// The scheduler allocated R.
        case allocated(JobID, ResourceSet, annotations: [String: JSONValue])
        /// The scheduler can never satisfy the request.
        case allocDenied(JobID, note: String)
        /// The scheduler confirms a `cancelAlloc`.
        case allocCanceled(JobID)
        /// The job shells started.
        case started(JobID)
        /// The job shells exited; the largest wait status.
        case finished(JobID, status: Int32)
        /// Exec released resources on `ranks` ("all" or an idset); `final` when all are.
        case released(JobID, ranks: String, final: Bool)
        /// The scheduler took the resources back.
        case freed(JobID)
        /// A service raised an exception (e.g. exec: type "exec").
        case exception(JobID, JobException)
        /// A `.wakeAt` time has come.
        case tick
    }

    /// What the core tracks per active job beyond its record.
    struct Runtime: Sendable, Hashable {
        var allocPending = false
        var cancelSent = false
        var execRequested = false
        var execLost = false
        var killSent = false
        var freePending = false
        var expiration: Double?
    }

    /// The jobs a `singleton` dependency looks at: one user's with one given name.
    struct SingletonKey: Sendable, Hashable {
        var userid: UInt32
        var name: String
    }

    /// A job waiting on a dependency.
    struct Waiter: Sendable, Hashable {
        var job: JobID
        var dependency: JobDependency
    }

    /// Every job not yet purged.
    public internal(set) var jobs: [JobID: JobRecord] = [:]
    /// Inactive jobs purged since the job manager started, by queue ("" for none),
    /// for `fluxs jobs --stats`.
    public internal(set) var purged: [String: Int] = [:]
    /// Outstanding allocation requests allowed at once; nil for no limit.
    public var allocLimit: Int?
    /// Named queues whose jobs get no allocation requests (`fluxs queue stop`).
    public internal(set) var stoppedQueues: Set<String> = []
    var runtime: [JobID: Runtime] = [:]
    /// The inactive jobs, oldest first (purge takes from the front).
    var inactiveOrder = InactiveQueue()
    /// The same, each user's apart: a listing of one user's jobs (every guest's) walks
    /// only theirs.
    var inactiveByUser: [UInt32: InactiveQueue] = [:]
    var waiters: [JobID: [Waiter]] = [:]
    var beginWaiters: [Waiter] = []
    /// Jobs waiting on a `singleton` dependency, by user and job name, in the order they
    /// began to wait.
    var singletons: [SingletonKey: [JobID]] = [:]

    /// An empty job manager.
    public init(allocLimit: Int? = nil) {
        self.allocLimit = allocLimit
    }

    /// The record of job `id`.
    public func record(_ id: JobID) -> JobRecord? { jobs[id] }

    /// The user a job belongs to (without copying its record).
    public func userid(of id: JobID) -> UInt32? { jobs[id]?.userid }

    /// Records the scheduler's latest annotations of a pending job (why it waits, when it
    /// should start); they are not eventlog entries, as in Flux.
    public mutating func annotate(_ id: JobID, _ annotations: [String: JSONValue]) {
        jobs[id]?.annotations = annotations
    }

    /// Starts or stops scheduling a named queue; starting issues the allocation requests
    /// its jobs were waiting for. (Requests already out are left to the scheduler.)
    public mutating func setQueue(_ name: String, started: Bool) -> [Action] {
        if started { stoppedQueues.remove(name) } else { stoppedQueues.insert(name) }
        var actions: [Action] = []
        if started { fillAllocRequests(into: &actions) }
        return actions
    }

    /// Every record, by id.
    public var records: [JobRecord] { jobs.values.sorted { $0.id < $1.id } }

    /// Whether `userid` has a job that is not inactive (only active jobs are looked at).
    public func hasActiveJob(of userid: UInt32) -> Bool {
        runtime.keys.contains { jobs[$0].map { $0.userid == userid && $0.state != .inactive } ?? false }
    }

    /// The jobs waiting for resources that may be scheduled (SCHED, priority > 0), in order.
    /// Only active jobs are looked at (those with runtime state), and records are not
    /// copied: this runs on every event, with tens of thousands of jobs in the instance.
    public var schedQueue: [JobID] { queued(where: { _ in true }) }

    /// The queue order of the SCHED jobs (priority > 0, queue not stopped) whose runtime
    /// state passes `include`.
    func queued(where include: (Runtime) -> Bool) -> [JobID] {
        var keys: [(priority: UInt32, id: JobID)] = []
        for (id, state) in runtime where include(state) {
            guard let record = jobs[id], record.state == .sched, let priority = record.priority, priority > 0 else { continue }
            if !stoppedQueues.isEmpty, stoppedQueues.contains(record.summary.queue ?? "") { continue }
            keys.append((UInt32(priority), id))
        }
        keys.sort { JobPriority.precedes($0.priority, $0.id, $1.priority, $1.id) }
        return keys.map(\.id)
    }

    /// Jobs holding resources (allocated, not freed): what the scheduler must be told
    /// about when it (re)connects.
    public var allocations: [JobID] {
        jobs.values.filter { $0.allocated && !$0.freed }.map(\.id).sorted()
    }

    /// Jobs with an allocation request outstanding.
    public var pendingAllocs: [JobID] {
        runtime.filter { $0.value.allocPending }.map(\.key).sorted()
    }
}
