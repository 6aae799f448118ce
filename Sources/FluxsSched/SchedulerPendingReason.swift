// Why a job is still pending, as the scheduler annotates it (RFC 27 sched.reason_pending and
// sched.t_estimate). Reasons are kept as values so that "did the annotation change?" is a
// cheap comparison; the text is made only when an annotation is sent.
import FluxsFormats

/// Why a queued job did not start in the last pass.
enum PendingReason: Sendable, Hashable {
    /// Not enough free resources now, and no reservation.
    case insufficientResources
    /// A reservation holds resources for the job from this time.
    case reserved(at: Double)
    /// First come, first served: an earlier job is blocked.
    case behind(job: JobID)
    /// Only ranks that are down or drained could satisfy the job.
    case onlyUnavailable

    /// The reason as people read it.
    var text: String {
        switch self {
        case .insufficientResources: "insufficient resources"
        case .reserved(let time): "reserved at \(time)"
        case .behind(let job): "behind job \(job) (fcfs)"
        case .onlyUnavailable: "only down or drained nodes could run it"
        }
    }
}

/// One annotation of a pending job: the reason and the estimated start, if known.
struct Annotation: Sendable, Hashable {
    var estimatedStart: Double?
    var reason: PendingReason
}
