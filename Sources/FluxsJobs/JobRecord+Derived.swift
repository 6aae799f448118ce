// Values computed from a record, as flux-core's job-list and flux-jobs(1) compute them:
// result and status, the most severe exception, run time, return code, and the INFO
// column (`contextualInfo`):
//
//   DEPEND     "depends:" and the outstanding dependency descriptions, comma-separated
//   PRIORITY   "priority-wait"
//   SCHED      "eta:FSD" from the scheduler's t_estimate annotation ("eta:now" if past),
//              else "held" (urgency 0), "priority-hold" (priority 0), or ""
//   RUN        for an instance (fluxs alloc/batch): "instance:" and its nodelist
//   otherwise  the nodelist the job was allocated ("" if it never was)
//
// `inactiveReason` gives the exit information for inactive jobs ("Exit 1", "Canceled:
// NOTE", "Timeout", "Exception: type=T note=N", a signal name).
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats

extension JobRecord {
    /// When the job was submitted.
    public var submitTime: Double { timestamps[.new] ?? 0 }

    /// The first fatal exception, if any.
    public var fatalException: JobException? { exceptions.first(where: \.isFatal) }

    /// The most severe exception (lowest severity, earliest among equals), if any.
    public var exception: JobException? {
        exceptions.min(by: { $0.severity < $1.severity })
    }

    /// The result, once inactive.
    public var result: JobResult? {
        guard state == .inactive else { return nil }
        if let fatal = fatalException {
            switch fatal.type {
            case "cancel": return .canceled
            case "timeout", "timelimit": return .timeout
            default: return .failed
            }
        }
        return waitstatus == 0 ? .completed : .failed
    }

    /// The state while active, the result once inactive.
    public var status: JobStatus {
        if let result { return .result(result) }
        return .state(state)
    }

    /// True when inactive and COMPLETED; nil while active.
    public var success: Bool? { state == .inactive ? result == .completed : nil }

    /// True when the urgency holds the job.
    public var isHeld: Bool { urgency == JobUrgency.hold }

    /// Seconds from RUN to CLEANUP (to `now` while running); 0 if the job never ran.
    public func runtime(now: Double) -> Double {
        guard let run = timestamps[.run] else { return 0 }
        return max(0, (timestamps[.cleanup] ?? now) - run)
    }

    /// The job's time in the default listing: its time limit while pending, else its runtime.
    public func contextualTime(now: Double) -> Double {
        state.isPending || state == .new ? summary.duration : runtime(now: now)
    }

    /// flux-core's return code: the exit code, or minus the signal number; for a job with
    /// no wait status, -128 if canceled and 1 if failed; nil while active.
    public var returncode: Int? {
        guard state == .inactive else { return nil }
        guard let status = waitstatus else {
            switch result {
            case .canceled: return -128
            case .failed, .timeout: return 1
            default: return 0
            }
        }
        let signal = Int(status & 0x7f)
        if signal != 0, signal != 0x7f { return -signal }
        return Int((status >> 8) & 0xff)
    }

    /// The node count: allocated nodes once allocated, else the requested count.
    public var nnodes: Int? { resources?.nnodes ?? summary.nnodes }

    /// The INFO column (see the table above); `now` dates the scheduler's estimate.
    public func contextualInfo(now: Double) -> String {
        switch state {
        case .priority:
            return "priority-wait"
        case .depend:
            return "depends:" + dependencies.joined(separator: ",")
        case .sched:
            if let estimate = annotations["sched"]?["t_estimate"]?.doubleValue {
                let eta = estimate - now
                return "eta:" + (eta < 0 ? "now" : OutputFormat.fsd(eta))
            }
            if isHeld { return "held" }
            if priority == 0 { return "priority-hold" }
            return annotations["sched"]?["reason_pending"]?.stringValue ?? ""
        case .run where isInstance:
            return "instance:" + (resources?.nodelist.description ?? "")
        default:
            return resources?.nodelist.description ?? ""
        }
    }

    /// Whether the job is (or was) an instance of its own: fluxs alloc and fluxs batch
    /// jobs, whose rank 0 broker posts its URI as the memo "uri".
    public var isInstance: Bool { memo["uri"]?.stringValue != nil }

    /// How an inactive job ended, for people; "" while active.
    public var inactiveReason: String {
        guard let result else { return "" }
        let exception = self.exception
        switch result {
        case .canceled:
            if let exception, exception.type == "cancel", !exception.note.isEmpty {
                return "Canceled: \(exception.note)"
            }
            return "Canceled"
        case .timeout:
            return "Timeout"
        case .completed:
            return "Exit \(returncode ?? 0)"
        case .failed:
            if let exception, exception.isFatal, exception.type != "exec" {
                return "Exception: type=\(exception.type)" + (exception.note.isEmpty ? "" : " note=\(exception.note)")
            }
            let code = returncode ?? 1
            if code < 0 { return Self.signalName(-code) }
            switch code {
            case 126: return "Command invoked cannot execute"
            case 127: return "command not found"
            default: return "Exit \(code)"
            }
        }
    }

    /// strsignal(3)'s text for `signal`.
    static func signalName(_ signal: Int) -> String {
        guard let text = strsignal(Int32(signal)) else { return "Signaled \(signal)" }
        return String(cString: text)
    }
}
