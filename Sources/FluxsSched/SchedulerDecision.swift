// What one scheduler call asks the job manager to do, in the terms of RFC 27 sched.alloc
// responses: SUCCESS with R, ANNOTATE (sched.t_estimate and sched.reason_pending), DENY
// with a note. The scheduler emits an annotation only when it changed since the last one it
// emitted for that job.
import FluxsFormats

/// One response the scheduler owes the job manager.
public enum SchedulerDecision: Sendable, Hashable {
    /// The job got resources `R` (with starttime and expiration) and may run.
    case allocate(job: JobID, R: ResourceSet)
    /// The job still waits: why, and when it is expected to start (nil when unknown).
    case annotate(job: JobID, estimatedStart: Double?, reason: String)
    /// The job can never run on this instance: why.
    case deny(job: JobID, reason: String)

    /// The job the decision is about.
    public var job: JobID {
        switch self {
        case .allocate(let job, _), .annotate(let job, _, _), .deny(let job, _): job
        }
    }
}
