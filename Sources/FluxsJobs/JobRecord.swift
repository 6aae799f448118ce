// Everything known about one job, changed only by applying its eventlog entries in
// order (JobRecord+Apply.swift), so replaying job.<id>.eventlog after a restart
// rebuilds the same value the live job manager held. Two inputs live beside the log
// in the KVS and are given, not logged: the jobspec (as a `JobSummary`, at creation)
// and R (with the `alloc` entry, as flux-core writes job.<id>.R in the same commit).
// `jobspec-update` and `resource-update` entries (fluxs update) change both after the
// fact; the job manager rewrites them in the KVS with those entries, and replaying
// the entries over the rewritten values gives the same record (they set, never add).

import FluxsFormats
import FluxsMessage

/// The resources a job was allocated, summarized from R.
public struct JobResources: Sendable, Hashable {
    /// The broker ranks.
    public var ranks: IDSet
    /// The host names, in rank order ("" when R names no hosts).
    public var nodelist: String
    /// Nodes in all.
    public var nnodes: Int
    /// Cores in all.
    public var ncores: Int
    /// GPUs in all.
    public var ngpus: Int
    /// When the allocation expires (Unix time), 0 for never (R's, then `resource-update`'s).
    public var expiration: Double
    /// When the allocation began (Unix time), 0 when R does not say.
    public var starttime: Double

    /// A summary as given.
    public init(ranks: IDSet, nodelist: String = "", nnodes: Int, ncores: Int, ngpus: Int = 0, expiration: Double = 0,
                starttime: Double = 0) {
        self.ranks = ranks
        self.nodelist = nodelist
        self.nnodes = nnodes
        self.ncores = ncores
        self.ngpus = ngpus
        self.expiration = expiration
        self.starttime = starttime
    }

    /// The summary of R.
    public init(_ r: ResourceSet) {
        self.init(ranks: r.ranks, nodelist: r.nodelist.description, nnodes: r.nnodes, ncores: r.ncores,
                  ngpus: r.ngpus, expiration: r.expiration, starttime: r.starttime)
    }
}

/// One job, as its eventlog describes it.
public struct JobRecord: Sendable, Hashable {
    /// The job id.
    public let id: JobID
    /// What the jobspec asks for (as submitted, then as `jobspec-update` entries change it).
    public internal(set) var summary: JobSummary

    /// The submitting user (from `submit`).
    public internal(set) var userid: UInt32 = 0
    /// Urgency 0...31 (from `submit` and `urgency`).
    public internal(set) var urgency: Int = JobUrgency.default
    /// Priority, once assigned (from `priority`).
    public internal(set) var priority: UInt32?
    /// Submit flags (from `submit`).
    public internal(set) var flags: Int = 0
    /// The current state.
    public internal(set) var state: JobState = .new
    /// When the job entered each state it has been in (NEW: the submit time).
    public internal(set) var timestamps: [JobState: Double] = [:]
    /// Outstanding dependency descriptions, in the order they were added.
    public internal(set) var dependencies: [String] = []
    /// Every exception, in order.
    public internal(set) var exceptions: [JobException] = []
    /// The largest job shell wait status (from `finish`).
    public internal(set) var waitstatus: Int32?
    /// Resources were allocated (`alloc` seen).
    public internal(set) var allocated = false
    /// Job shells started (`start` seen).
    public internal(set) var started = false
    /// Job shells finished (`finish` seen).
    public internal(set) var finished = false
    /// The exec service released every resource (`release` with final=true seen).
    public internal(set) var releasedFinal = false
    /// Resources went back to the scheduler (`free` seen).
    public internal(set) var freed = false
    /// The job was rejected (`invalidate` seen); it stays in NEW and is to be removed.
    public internal(set) var invalidated = false
    /// The allocated resources, when R was given with `alloc`.
    public internal(set) var resources: JobResources?
    /// Scheduler annotations (from `alloc`).
    public internal(set) var annotations: [String: JSONValue] = [:]
    /// Memo keys (from `memo`; null removes a key).
    public internal(set) var memo: [String: JSONValue] = [:]
    /// Entries applied so far.
    public internal(set) var eventCount = 0

    /// A job that has seen no events yet.
    public init(id: JobID, summary: JobSummary) {
        self.id = id
        self.summary = summary
    }

    /// Rebuilds a record from its whole eventlog (and R, if it was allocated).
    public init(replaying eventlog: [EventlogEntry], id: JobID, summary: JobSummary,
                resources: ResourceSet? = nil) throws(ServiceError) {
        self.init(id: id, summary: summary)
        for entry in eventlog { try apply(entry, resources: entry.name == "alloc" ? resources : nil) }
    }
}
