// Choosing jobs for `fluxs jobs`, as flux-jobs(1) and flux-core's job-list do:
// `-f/--filter` takes state names (new, depend, priority, sched, run, cleanup,
// inactive), virtual states (pending, running, active) and results (completed, failed,
// canceled, timeout), comma-separated, any case; the default is pending,running and
// `-a` adds inactive. A job matches if its state is in the set, or it is inactive with
// a listed result. `--since T` keeps inactive jobs only if they became inactive after
// T. `-u` picks one user (nil: all users); `-c N` keeps the first N (0: no limit).
// `--name` keeps jobs of that name, `-q` jobs in one of the listed queues ("" for the
// anonymous queue), `-i` jobs whose allocation meets a set of ranks or of host names
// (pending jobs have none, so never match). Listed ids bypass the filters. Order: pending jobs by priority (highest first) then
// id, then running jobs by t_run (newest first), then inactive jobs by t_inactive
// (newest first).
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

/// The result set of a job filter.
public struct JobResultMask: OptionSet, Sendable, Hashable {
    /// The JobResult bits.
    public let rawValue: UInt32
    /// A mask from its bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The mask holding just `result`.
    public init(_ result: JobResult) { self.init(rawValue: result.rawValue) }
    /// True when `result` is in the set.
    public func contains(_ result: JobResult) -> Bool { rawValue & result.rawValue != 0 }
}

/// Which jobs `fluxs jobs` lists.
public struct JobListQuery: Sendable, Hashable {
    /// States to list.
    public var states: JobStateMask = .active
    /// Results to list (of inactive jobs).
    public var results: JobResultMask = []
    /// Only this user's jobs; nil for all users.
    public var userid: UInt32?
    /// At most this many jobs; 0 for no limit.
    public var count: Int = 1000
    /// Inactive jobs only if inactive after this time.
    public var since: Double?
    /// Exactly these jobs (filters ignored), when given.
    public var ids: [JobID]?
    /// Only jobs with this name (`--name`).
    public var name: String?
    /// Only jobs in one of these queues (`-q`; "" is the anonymous queue).
    public var queues: Set<String>?
    /// Only jobs allocated one of these ranks (`-i RANKS`).
    public var ranks: IDSet?
    /// Only jobs allocated one of these hosts (`-i HOSTS`).
    public var hosts: Hostlist?

    /// The default query: pending and running jobs of all users, at most 1000.
    public init() {}

    /// Adds the states and results named in `text` ("running,failed"); EINVAL for an
    /// unknown name.
    public mutating func addFilter(_ text: String) throws(ServiceError) {
        for word in text.split(separator: ",").map({ $0.trimmingSpaces.lowercased() }) where !word.isEmpty {
            switch word {
            case "pending": states.formUnion(.pending)
            case "running": states.formUnion(.running)
            case "active": states.formUnion(.active)
            default:
                if let result = JobResult(name: word), word.count > 2 {
                    results.insert(JobResultMask(result))
                } else if let state = JobState(name: word), word.count > 1 {
                    states.insert(JobStateMask(state))
                } else {
                    throw ServiceError(EINVAL, "invalid filter specified: \(word)")
                }
            }
        }
    }

    /// A query from a `-f` filter list (replacing the default states).
    public init(filter: String) throws(ServiceError) {
        states = []
        try addFilter(filter)
    }

    /// `-a`: every state.
    public mutating func includeAll() { states = .all }

    /// True when `record` passes the filters (ids aside).
    public func matches(_ record: JobRecord) -> Bool {
        if let userid, record.userid != userid { return false }
        if let name, record.summary.name != name { return false }
        if let queues, !queues.contains(record.summary.queue ?? "") { return false }
        if let ranks {
            guard let allocated = record.resources?.ranks, !allocated.isDisjoint(with: ranks) else { return false }
        }
        if let hosts {
            guard let text = record.resources?.nodelist, let allocated = try? Hostlist(parsing: text),
                  !allocated.intersection(hosts).isEmpty else { return false }
        }
        if record.state == .inactive, let since, (record.timestamps[.inactive] ?? 0) <= since { return false }
        if states.contains(record.state) { return true }
        if let result = record.result, results.contains(result) { return true }
        return false
    }

    /// The records to list, in listing order, at most `count`.
    public func select(_ records: [JobRecord]) -> [JobRecord] {
        if let ids {
            let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            return ids.compactMap { byID[$0] }
        }
        let chosen = records.filter(matches).sorted(by: Self.listedBefore)
        return count > 0 ? Array(chosen.prefix(count)) : chosen
    }

    /// job-list order: pending (priority, id), running (newest t_run), inactive (newest t_inactive).
    static func listedBefore(_ a: JobRecord, _ b: JobRecord) -> Bool {
        func group(_ r: JobRecord) -> Int { r.state == .inactive ? 2 : r.state.isRunning ? 1 : 0 }
        if group(a) != group(b) { return group(a) < group(b) }
        switch group(a) {
        case 0:
            return JobPriority.precedes(a.priority ?? 0, a.id, b.priority ?? 0, b.id)
        case 1:
            let (ta, tb) = (a.timestamps[.run] ?? 0, b.timestamps[.run] ?? 0)
            return ta != tb ? ta > tb : a.id > b.id
        default:
            let (ta, tb) = (a.timestamps[.inactive] ?? 0, b.timestamps[.inactive] ?? 0)
            return ta != tb ? ta > tb : a.id > b.id
        }
    }
}

/// Job counts as flux-core's job-list stats (`fluxs jobs --stats`): by state, and
/// inactive jobs by result; `failed` counts every unsuccessful end (canceled and
/// timeout too), as `flux jobs --stats` prints it.
public struct JobListStats: Sendable, Hashable {
    /// Jobs waiting (depend, priority, sched; new counts here too).
    public var pending = 0
    /// Jobs in run or cleanup.
    public var running = 0
    /// Inactive jobs that completed with exit status 0.
    public var successful = 0
    /// Inactive jobs that did not.
    public var failed = 0
    /// Inactive jobs canceled (also in `failed`).
    public var canceled = 0
    /// Inactive jobs ended by their time limit (also in `failed`).
    public var timeout = 0
    /// Inactive jobs still held.
    public var inactive = 0
    /// Inactive jobs purged so far.
    public var inactivePurged = 0

    /// Counts of `records` (those in `queues` only, when given), with `purged` jobs
    /// already forgotten.
    public init(_ records: some Sequence<JobRecord>, queues: Set<String>? = nil, purged: Int = 0) {
        inactivePurged = purged
        for record in records {
            if let queues, !queues.contains(record.summary.queue ?? "") { continue }
            switch record.state {
            case .inactive:
                inactive += 1
                switch record.result {
                case .completed: successful += 1
                case .canceled: canceled += 1; failed += 1
                case .timeout: timeout += 1; failed += 1
                default: failed += 1
                }
            case .run, .cleanup: running += 1
            default: pending += 1
            }
        }
    }

    /// Jobs not yet inactive.
    public var active: Int { pending + running }

    /// The reply's `stats` object.
    public var json: JSONValue {
        ["pending": .int(Int64(pending)), "running": .int(Int64(running)), "active": .int(Int64(active)),
         "successful": .int(Int64(successful)), "failed": .int(Int64(failed)), "canceled": .int(Int64(canceled)),
         "timeout": .int(Int64(timeout)), "inactive": .int(Int64(inactive)),
         "inactive_purged": .int(Int64(inactivePurged))]
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces.
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
