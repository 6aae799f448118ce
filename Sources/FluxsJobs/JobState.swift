// Job states (RFC 21) and the virtual states built from them, with flux-core's names,
// bit values and one-letter abbreviations:
//
//   state     bit  abbrev  virtual
//   NEW         1  N       -
//   DEPEND      2  D       pending, active
//   PRIORITY    4  P       pending, active
//   SCHED       8  S       pending, active
//   RUN        16  R       running, active
//   CLEANUP    32  C       running, active
//   INACTIVE   64  I       inactive
//
// The raw values are flux-core's FLUX_JOB_STATE_* bits, so a `JobStateMask` is the
// same number flux-core's job-list takes as its "states" filter.

/// A job state (RFC 21).
public enum JobState: UInt32, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Submitted, not yet validated.
    case new = 1
    /// Waiting for dependencies.
    case depend = 2
    /// Waiting for a priority.
    case priority = 4
    /// Waiting for resources.
    case sched = 8
    /// Resources allocated; job shells starting or running.
    case run = 16
    /// Finished or failed; resources being released.
    case cleanup = 32
    /// Done; the job's KVS data is final.
    case inactive = 64

    /// The upper-case name, e.g. "SCHED".
    public var name: String {
        switch self {
        case .new: "NEW"
        case .depend: "DEPEND"
        case .priority: "PRIORITY"
        case .sched: "SCHED"
        case .run: "RUN"
        case .cleanup: "CLEANUP"
        case .inactive: "INACTIVE"
        }
    }

    /// The one-letter abbreviation (flux-core's `state_single`), e.g. "S".
    public var abbreviation: String { String(name.prefix(1)) }

    /// The name.
    public var description: String { name }

    /// The state named `text`: a full name or abbreviation, any case.
    public init?(name text: some StringProtocol) {
        let upper = text.uppercased()
        guard let state = Self.allCases.first(where: { $0.name == upper || $0.abbreviation == upper }) else {
            return nil
        }
        self = state
    }

    /// True in DEPEND, PRIORITY and SCHED.
    public var isPending: Bool { JobStateMask.pending.contains(self) }
    /// True in RUN and CLEANUP.
    public var isRunning: Bool { JobStateMask.running.contains(self) }
    /// True in every state but INACTIVE (NEW included: the job exists and is not done).
    public var isActive: Bool { self != .inactive }

    /// States order by life-cycle position.
    public static func < (a: JobState, b: JobState) -> Bool { a.rawValue < b.rawValue }
}

/// A set of job states, with flux-core's bit values.
public struct JobStateMask: OptionSet, Sendable, Hashable {
    /// The FLUX_JOB_STATE_* bits.
    public let rawValue: UInt32
    /// A mask from its bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The mask holding just `state`.
    public init(_ state: JobState) { self.init(rawValue: state.rawValue) }

    /// DEPEND, PRIORITY and SCHED.
    public static let pending = JobStateMask(rawValue: 2 | 4 | 8)
    /// RUN and CLEANUP.
    public static let running = JobStateMask(rawValue: 16 | 32)
    /// Pending and running (flux-core's FLUX_JOB_STATE_ACTIVE; NEW is transient and left out).
    public static let active: JobStateMask = [.pending, .running]
    /// INACTIVE.
    public static let inactive = JobStateMask(rawValue: 64)
    /// Every state.
    public static let all = JobStateMask(rawValue: 127)

    /// True when `state` is in the set.
    public func contains(_ state: JobState) -> Bool { rawValue & state.rawValue != 0 }
}
