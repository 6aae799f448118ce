// How an inactive job ended, as flux-core's job-list reports it, and the user-facing
// status that mixes state and result (flux-jobs(1) JOB STATUS):
//
//   result     bit  abbrev      status     abbrev
//   COMPLETED    1  CD          DEPEND     D      (and PRIORITY P, SCHED S,
//   FAILED       2  F           ...               RUN R, CLEANUP C, NEW N)
//   CANCELED     4  CA          COMPLETED  CD     (inactive: the result)
//   TIMEOUT      8  TO
//
// A result is decided from the job's first fatal exception if it had one (type
// "cancel" -> CANCELED, "timeout" or RFC 21's "timelimit" -> TIMEOUT, other ->
// FAILED), else from the finish wait status (0 -> COMPLETED, anything else or none
// -> FAILED). See `JobRecord.result`.

/// The outcome of an inactive job.
public enum JobResult: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// Finished with wait status 0 and no fatal exception.
    case completed = 1
    /// A non-zero wait status or a fatal exception other than cancel/timeout.
    case failed = 2
    /// A fatal exception of type "cancel".
    case canceled = 4
    /// A fatal exception of type "timeout" (or "timelimit").
    case timeout = 8

    /// The upper-case name, e.g. "CANCELED".
    public var name: String {
        switch self {
        case .completed: "COMPLETED"
        case .failed: "FAILED"
        case .canceled: "CANCELED"
        case .timeout: "TIMEOUT"
        }
    }

    /// The abbreviation: CD, F, CA or TO.
    public var abbreviation: String {
        switch self {
        case .completed: "CD"
        case .failed: "F"
        case .canceled: "CA"
        case .timeout: "TO"
        }
    }

    /// The name.
    public var description: String { name }

    /// The result named `text`: a full name or abbreviation, any case.
    public init?(name text: some StringProtocol) {
        let upper = text.uppercased()
        guard let result = Self.allCases.first(where: { $0.name == upper || $0.abbreviation == upper }) else {
            return nil
        }
        self = result
    }
}

/// A job's status: its state while active, its result once inactive.
public enum JobStatus: Sendable, Hashable, CustomStringConvertible {
    /// An active job (or an inactive one with no result, which cannot happen after `clean`).
    case state(JobState)
    /// An inactive job.
    case result(JobResult)

    /// The name, e.g. "SCHED" or "COMPLETED".
    public var name: String {
        switch self {
        case .state(let state): state.name
        case .result(let result): result.name
        }
    }

    /// The abbreviation (at most two letters), e.g. "S" or "CD".
    public var abbreviation: String {
        switch self {
        case .state(let state): state.abbreviation
        case .result(let result): result.abbreviation
        }
    }

    /// The name.
    public var description: String { name }
}
