// Dependencies (RFC 26 schemes as flux-core implements them), parsed from a jobspec
// entry and judged against the target job's record:
//
//   scheme       satisfied when the target ...      never, when the target ...
//   afterstart   has started (start event)          went inactive without starting
//   after        (the same: Flux's deprecated name for afterstart)
//   afterany     is inactive                        -
//   afterok      started, is inactive, COMPLETED    never started, or another result
//   afternotok   started, is inactive, not COMPLETED  never started, or COMPLETED
//   afterexcept  started, is inactive, and a fatal  never started, or ended without
//                exception ended it                 a fatal exception
//   begin-time  (the clock reaches the value, a Unix time in seconds)
//   singleton   (no other active job of the same user and explicit job name is
//                past DEPEND, or waits otherwise: judged by the job manager core,
//                which keeps the waiters of each user and name in submission order)
//
// As in Flux, only afterany is met by a job canceled before it ran: a chain of
// afterok (&&) or afternotok/afterexcept (||) jobs ends there.
//
// A target the job manager does not know (never submitted, or purged) can never
// satisfy anything. The dependency's RFC 21 description is "SCHEME=VALUE", e.g.
// "afterok=ƒ2Xo6SQQy" or "begin-time=1700000000.0", as the value was written, and
// "singleton" (flux-core's dependency-singleton plugin's). Other keys of the entry
// (`?key=val` options of the URI) are kept in the jobspec and ignored, as in flux-core.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

/// One dependency of a job.
public struct JobDependency: Sendable, Hashable {
    /// The supported schemes.
    public enum Scheme: String, Sendable, CaseIterable {
        /// The target has started.
        case afterstart
        /// The target has started (Flux's deprecated name for afterstart).
        case after
        /// The target is inactive, whatever its result.
        case afterany
        /// The target completed successfully.
        case afterok
        /// The target did not complete successfully.
        case afternotok
        /// A fatal exception ended the target.
        case afterexcept
        /// A point in time has passed.
        case beginTime = "begin-time"
        /// No other active job of the same user and name is past DEPEND.
        case singleton
    }

    /// What a dependency waits for, given the target's record now.
    public enum Verdict: Sendable, Hashable {
        /// Not decided yet.
        case pending
        /// Met: remove it.
        case satisfied
        /// Can never be met; the reason, e.g. "job ƒ2Xo6SQQy failed".
        case never(String)
    }

    /// The scheme.
    public var scheme: Scheme
    /// The value as written in the jobspec.
    public var value: String
    /// The target job (job schemes).
    public var target: JobID?
    /// The time (begin-time).
    public var beginTime: Double?

    /// Parses a jobspec dependency; EINVAL for an unknown scheme or a bad value.
    public init(_ entry: JobspecDependency) throws(ServiceError) {
        guard let scheme = Scheme(rawValue: entry.scheme) else {
            throw ServiceError(EINVAL, "dependency scheme \"\(entry.scheme)\" is not supported")
        }
        self.scheme = scheme
        self.value = entry.value
        if scheme == .singleton {
            return
        }
        if scheme == .beginTime {
            guard let time = Double(entry.value), time.isFinite, time >= 0 else {
                throw ServiceError(EINVAL, "begin-time: \"\(entry.value)\" is not a time in seconds")
            }
            beginTime = time
        } else {
            do throws(ParseError) {
                target = try JobID(parsing: entry.value)
            } catch {
                throw ServiceError(EINVAL, "\(scheme.rawValue): \"\(entry.value)\" is not a valid job id")
            }
        }
    }

    /// The RFC 21 dependency-add/remove description: "SCHEME=VALUE".
    public var description: String { scheme == .singleton ? "singleton" : "\(scheme.rawValue)=\(value)" }

    /// The fatal exception note for a dependency that can never be met.
    public func neverNote(_ reason: String) -> String {
        "dependency \(scheme.rawValue):\(value) can never be satisfied (\(reason))"
    }

    /// The verdict for a job scheme given the target's record (nil: unknown job).
    public func verdict(target record: JobRecord?) -> Verdict {
        guard let record else { return .never("job \(value) not found") }
        switch scheme {
        case .beginTime, .singleton:
            return .pending
        case .after, .afterstart:
            if record.started { return .satisfied }
            return record.state == .inactive ? .never("job \(value) never started") : .pending
        case .afterany:
            return record.state == .inactive ? .satisfied : .pending
        case .afterok, .afternotok:
            guard record.state == .inactive, let result = record.result else { return .pending }
            guard record.started else { return .never("job \(value) never started") }
            if (result == .completed) == (scheme == .afterok) { return .satisfied }
            return .never("job \(value) " + (result == .completed ? "succeeded" : Self.failureWord(result)))
        case .afterexcept:
            guard record.state == .inactive else { return .pending }
            guard record.started else { return .never("job \(value) never started") }
            if let exception = record.exception, exception.isFatal { return .satisfied }
            return .never("job \(value) ended without an exception")
        }
    }

    /// The verdict for begin-time at `now`.
    public func verdict(now: Double) -> Verdict {
        guard let beginTime else { return .pending }
        return now >= beginTime ? .satisfied : .pending
    }

    /// "failed", "was canceled" or "timed out".
    private static func failureWord(_ result: JobResult) -> String {
        switch result {
        case .canceled: "was canceled"
        case .timeout: "timed out"
        default: "failed"
        }
    }
}
