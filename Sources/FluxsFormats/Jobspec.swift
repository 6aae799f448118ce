// A version 1 jobspec (RFC 25, a restriction of the RFC 14 canonical jobspec): the
// JSON document a job is submitted with, plus the typed views the scheduler and the
// job shell read. Invariant: a `Jobspec` value always holds a document that passes
// `Jobspec.validate` — it is only made by `init(validating:)`, and the only mutation,
// `setAttribute`, re-checks the attributes before it commits.

/// A validated version 1 jobspec.
public struct Jobspec: Sendable, Hashable {
    /// The document, as submitted (or as edited by `setAttribute`).
    public private(set) var json: JSONValue
    /// The single top-level resource vertex: a node holding a slot, or a slot.
    public let resource: JobspecResource
    /// The single task.
    public let task: JobspecTask

    /// The node count, when the request has a node level.
    public let nnodes: Int?
    /// Slots in all: the slot count, times the node count when there is a node level.
    public let nslots: Int
    /// Cores in each slot.
    public let coresPerSlot: Int
    /// GPUs in each slot (0 when the slot has no gpu vertex).
    public let gpusPerSlot: Int
    /// Tasks in all: `per_slot` times `nslots`, or `total`.
    public let ntasks: Int
    /// True when the node vertex asks for whole nodes (`exclusive: true`).
    public let exclusive: Bool

    /// Every problem of `json` as a version 1 jobspec, in document order (the order of
    /// paths in the sorted-key JSON encoding); empty when it is valid.
    public static func validate(_ json: JSONValue) -> [JobspecProblem] {
        var validator = JobspecValidator()
        _ = validator.checkDocument(json)
        return validator.problems
    }

    /// Validates `json` and keeps it. Throws `JobspecError` with every problem found.
    public init(validating json: JSONValue) throws(JobspecError) {
        var validator = JobspecValidator()
        let parts = validator.checkDocument(json)
        guard !validator.hasProblems, let resource = parts.resource, let task = parts.task,
            let slot = resource.slotVertex, let nslots = resource.totalSlots,
            let cores = slot.child(.core)
        else {
            throw JobspecError(problems: validator.problems)
        }
        self.json = json
        self.resource = resource
        self.task = task
        self.nnodes = resource.type == .node ? resource.count : nil
        self.nslots = nslots
        self.coresPerSlot = cores.count
        self.gpusPerSlot = slot.child(.gpu)?.count ?? 0
        self.ntasks = task.taskCount(nslots: nslots)
        self.exclusive = resource.type == .node && resource.exclusive == true
    }

    /// Replaces the document after an edit that cannot touch resources or tasks.
    mutating func replaceDocument(_ edited: JSONValue) {
        json = edited
    }
}
