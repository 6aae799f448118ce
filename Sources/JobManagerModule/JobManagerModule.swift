// The job manager (man/man7/fluxs-job-manager.7), on rank 0: submission, job states
// and eventlogs (RFC 21, RFC 18), priorities, dependencies, exceptions, listing. The
// rules live in FluxsJobs.JobManagerCore; this service performs its actions: eventlog
// entries go to the KVS (job.<dothex>.eventlog, with the jobspec and R beside it), all
// the entries of one loop turn in one commit, and replies wait for the commit holding
// the entries before them; allocations come from the sched service; jobs run through
// the job-exec service (job-exec.start, job-exec.kill).
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The job manager service.
public final class JobManagerModule: BrokerModule {
    public static let name = "job-manager"
    public static let services = ["job-manager"]
    public static func loadsByDefault(rank: UInt32) -> Bool { rank == 0 }

    let context: ModuleContext
    var core = JobManagerCore()
    var generator: FLUIDGenerator
    var ready = false
    var parked: [Message] = []
    var requests: [JobManagerCore.RequestID: Message] = [:]
    var nextRequest: JobManagerCore.RequestID = 0
    var jobspecs: [JobID: JSONValue] = [:]
    /// Guests' signed requests (J), until their jobs end: fluxs-imp checks them.
    var signatures: [JobID: String] = [:]
    var allocations: [JobID: ResourceSet] = [:]
    var waiters: [Waiter] = []
    /// Jobs that ended and were not yet waited for (`fluxs job wait`, as wait(2)).
    var zombies = Zombies()
    /// Jobs that became INACTIVE whose clean is not yet committed, and their users.
    var ending: [JobID: UInt32] = [:]
    var batch = CommitBatch()
    var submitted = 0
    var queues: [NamedQueue] = []
    var queueWaiters: [(request: Message, queues: [String], idle: Bool)] = []
    /// Subscribers of job-manager.events-journal.
    var journal: [JournalSubscriber] = []
    /// The thread listings are made on (see list in JobManagerModule+Requests.swift).
    let lister = Worker()

    /// The FLUID epoch: 2025-01-01T00:00:00Z (40 bits of milliseconds last 34 years).
    static let epoch = 1_735_689_600.0

    public init(context: ModuleContext) {
        self.context = context
        // Rank 0's generator; the start time is raised past every restored id at start.
        generator = (try? FLUIDGenerator(generatorID: 0)) ?? { fatalError("generator id 0 is valid") }()
    }

    public func start() throws(ServiceError) {
        queues = try Self.configuredQueues(context.attribute("queues"))
        restore()
    }

    public func stop() {
        lister.stop()
        let stopping = ServiceError(ECANCELED, "the job manager is stopping")
        for request in parked + requests.values + waiters.map(\.request) + queueWaiters.map(\.request) {
            context.respond(to: request, error: stopping)
        }
        for subscriber in journal { context.respond(to: subscriber.request, error: stopping) }
        journal.removeAll()
        queueWaiters.removeAll()
        parked.removeAll()
        requests.removeAll()
        waiters.removeAll()
    }

    public func stats() -> [String: JSONValue] {
        [
            "jobs": .int(Int64(core.jobs.count)), "submitted": .int(Int64(submitted)),
            "active": .int(Int64(core.jobs.values.filter { $0.state != .inactive }.count)),
            "commits": .int(Int64(batch.commits)),
        ]
    }

    static func now() -> Double { Broker.wallClock() }

    func requester(_ request: Message) -> JobManagerCore.Requester {
        JobManagerCore.Requester(userid: request.userid, rolemask: request.rolemask)
    }

    /// Registers a request so that a `.respond` action can find it.
    func track(_ request: Message) -> JobManagerCore.RequestID {
        nextRequest += 1
        requests[nextRequest] = request
        return nextRequest
    }
}

/// Eventlog entries and other KVS operations gathered in one loop turn, committed
/// together; replies wait for the commit that holds what came before them.
struct CommitBatch {
    var ops: [KVSOperation] = []
    /// The owners of the jobs these operations make, for the KVS's guest checks.
    var owners: [JobID: UInt32] = [:]
    /// The jobs these operations make inactive (their clean), for the KVS's archive.
    var inactive: [JobID] = []
    var after: [() -> Void] = []
    /// The events of these operations, for job-manager.events-journal.
    var journal: [JournalEntry] = []
    var inFlight = false
    var armed = false
    var commits = 0
}
