// What the job manager and `fluxs jobs` need from a jobspec, read once at submit and
// kept with the record (flux-core keeps the jobspec in job.<id>.jobspec; replaying the
// eventlog needs it beside the log, as the eventlog holds no jobspec data).
// Name: `attributes.system.job.name`, else the base name of the command's first word.

import FluxsFormats

/// The parts of a jobspec a job record keeps.
public struct JobSummary: Sendable, Hashable {
    /// The job name (may be empty).
    public var name: String
    /// Tasks in all.
    public var ntasks: Int
    /// Nodes requested, when the request has a node level.
    public var nnodes: Int?
    /// Cores requested in all.
    public var ncores: Int
    /// Time limit in seconds; 0 means unlimited.
    public var duration: Double
    /// The requested dependencies (RFC 26), in order, `begin-time` included.
    public var dependencies: [JobspecDependency]
    /// The queue, when set.
    public var queue: String?
    /// The working directory, when set.
    public var cwd: String?
    /// True when the name was given (`attributes.system.job.name`), not taken from the
    /// command: only such jobs count for `singleton` dependencies, as in flux-core.
    public var nameGiven = false

    /// A summary as given.
    public init(name: String = "", ntasks: Int = 1, nnodes: Int? = nil, ncores: Int = 1, duration: Double = 0,
                dependencies: [JobspecDependency] = [], queue: String? = nil, cwd: String? = nil) {
        self.name = name
        self.ntasks = ntasks
        self.nnodes = nnodes
        self.ncores = ncores
        self.duration = duration
        self.dependencies = dependencies
        self.queue = queue
        self.cwd = cwd
    }

    /// The summary of a validated jobspec.
    public init(jobspec: Jobspec) {
        let command = jobspec.task.command.first ?? ""
        let base = command.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? command
        self.init(name: jobspec.jobName ?? base, ntasks: jobspec.ntasks, nnodes: jobspec.nnodes,
                  ncores: jobspec.nslots * jobspec.coresPerSlot, duration: jobspec.duration,
                  dependencies: jobspec.dependencies, queue: jobspec.queue, cwd: jobspec.cwd)
        nameGiven = jobspec.jobName != nil
    }
}
