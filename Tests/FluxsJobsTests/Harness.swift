// A test driver for JobManagerCore: performs the actions a real service would (keeps
// each job's eventlog, remembers R), answers for the scheduler and exec on request,
// and checks that replaying a job's log rebuilds the core's record.
import FluxsFormats
import FluxsJobs
import FluxsMessage

typealias Core = JobManagerCore
typealias Action = JobManagerCore.Action

let owner = JobManagerCore.Requester(userid: 100, rolemask: .owner)
let guest = JobManagerCore.Requester(userid: 500, rolemask: .user)
let otherGuest = JobManagerCore.Requester(userid: 501, rolemask: .user)

func node(_ rank: UInt32, _ host: String, cores: ClosedRange<UInt32> = 0...3, expiration: Double = 0) -> ResourceSet {
    ResourceSet(nodes: [ResourceSet.Node(rank: rank, hostname: host, cores: IDSet(range: cores))],
                expiration: expiration)
}

struct Harness {
    var core: JobManagerCore
    var logs: [JobID: [EventlogEntry]] = [:]
    var summaries: [JobID: JobSummary] = [:]
    var resources: [JobID: ResourceSet] = [:]
    var now = 1000.0
    var nextID: UInt64 = 1
    var nextRequest: UInt64 = 1
    /// Every action, in order.
    var trace: [Action] = []

    init(allocLimit: Int? = nil) { core = JobManagerCore(allocLimit: allocLimit) }

    /// Performs appendEvent actions (keeps logs); returns all the actions.
    @discardableResult
    mutating func perform(_ actions: [Action]) -> [Action] {
        for action in actions {
            if case .appendEvent(let id, let entry) = action { logs[id, default: []].append(entry) }
            if case .removeJob(let id) = action { logs[id] = nil }
        }
        trace += actions
        return actions
    }

    mutating func tick(_ seconds: Double = 1) { now += seconds }

    /// Submits a job; returns its id and the actions.
    @discardableResult
    mutating func submit(_ summary: JobSummary = JobSummary(name: "hostname"), urgency: Int = 16,
                         by requester: JobManagerCore.Requester = owner) -> (JobID, [Action]) {
        let id = JobID(nextID * 1024)
        nextID += 1
        summaries[id] = summary
        tick()
        let actions = perform(core.submit(request(), id: id, summary: summary, urgency: urgency, by: requester, at: now))
        return (id, actions)
    }

    mutating func request() -> UInt64 {
        defer { nextRequest += 1 }
        return nextRequest
    }

    @discardableResult
    mutating func on(_ event: JobManagerCore.Event) -> [Action] {
        tick()
        if case .allocated(let id, let r, _) = event { resources[id] = r }
        return perform(core.on(event, at: now))
    }

    @discardableResult
    mutating func cancel(_ id: JobID, note: String = "", by requester: JobManagerCore.Requester = owner) -> [Action] {
        tick()
        return perform(core.cancel(request(), id: id, note: note, by: requester, at: now))
    }

    @discardableResult
    mutating func urgency(_ id: JobID, _ urgency: Int, by requester: JobManagerCore.Requester = owner) -> [Action] {
        tick()
        return perform(core.setUrgency(request(), id: id, urgency: urgency, by: requester, at: now))
    }

    /// Allocates, starts, finishes (with `status`), releases and frees a job in SCHED.
    mutating func runToEnd(_ id: JobID, status: Int32 = 0, host: String = "node0") {
        on(.allocated(id, node(0, host), annotations: [:]))
        on(.started(id))
        on(.finished(id, status: status))
        on(.released(id, ranks: "all", final: true))
        on(.freed(id))
    }

    /// Submits `count` jobs one after another, each run to its end `gap` seconds after
    /// the one before; returns their ids in the order they became inactive.
    mutating func endedJobs(_ count: Int, gap: Double) -> [JobID] {
        var ids: [JobID] = []
        for _ in 0..<count {
            let (id, _) = submit()
            runToEnd(id)
            ids.append(id)
            tick(gap)
        }
        return ids
    }

    func state(_ id: JobID) -> JobState? { core.record(id)?.state }

    /// The event names in a job's log.
    func names(_ id: JobID) -> [String] { (logs[id] ?? []).map(\.name) }

    /// True when replaying the job's log gives the core's record.
    func replayMatches(_ id: JobID) -> Bool {
        guard let log = logs[id], let summary = summaries[id] else { return false }
        let replayed = try? JobRecord(replaying: log, id: id, summary: summary, resources: resources[id])
        return replayed == core.record(id)
    }

    /// The ids of requestAlloc actions in `actions`, in order.
    static func allocRequests(_ actions: [Action]) -> [JobID] {
        actions.compactMap { if case .requestAlloc(let id) = $0 { id } else { nil } }
    }
}
