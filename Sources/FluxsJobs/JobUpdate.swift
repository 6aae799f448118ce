// What `job-manager.update` may change (fluxs-update(1), after Flux's job-manager update
// service and its update-duration and update-queue plugins), as full jobspec keys with
// absolute values: the same object is the request's "updates" and the context of the
// job's `jobspec-update` event (RFC 21), and replaying that event changes the record's
// summary the way the update changed the jobspec in the KVS.
//
//   key                            value                       pending   running
//   attributes.system.duration     seconds >= 0 (0: no limit)  yes       instance owner, RUN only
//   attributes.system.queue        an enabled queue's name     yes       no
//   attributes.system.job.name     a non-empty string          yes       no
//   attributes.system.constraints  (set by the service with a new queue, never asked for)
//   urgency                        0-31, as job-manager.urgency; posted as an `urgency`
//                                  event, not in jobspec-update (it is not a jobspec key)
//
// Any other key is refused ("update of KEY not supported"), and so is the whole request.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

/// One update request, read and checked for form (the job manager checks the rest).
public struct JobUpdate: Sendable, Hashable {
    /// `attributes.system.duration`.
    public static let durationKey = "attributes.system.duration"
    /// `attributes.system.queue`.
    public static let queueKey = "attributes.system.queue"
    /// `attributes.system.job.name`.
    public static let nameKey = "attributes.system.job.name"
    /// `attributes.system.constraints` (only with a queue, set by the service).
    public static let constraintsKey = "attributes.system.constraints"
    /// The urgency, which is not a jobspec key.
    public static let urgencyKey = "urgency"

    /// The new time limit in seconds (0: unlimited).
    public var duration: Double?
    /// The new queue.
    public var queue: String?
    /// The new job name.
    public var name: String?
    /// The new urgency.
    public var urgency: Int?
    /// The constraints that come with the new queue (its property, or `{}`).
    public var constraints: JSONValue?

    /// An update as given.
    public init(duration: Double? = nil, queue: String? = nil, name: String? = nil, urgency: Int? = nil,
                constraints: JSONValue? = nil) {
        self.duration = duration
        self.queue = queue
        self.name = name
        self.urgency = urgency
        self.constraints = constraints
    }

    /// Reads a request's "updates" object. EINVAL for an empty one, a key that cannot be
    /// updated, or a value of the wrong kind.
    public init(updates: [String: JSONValue]) throws(ServiceError) {
        self.init()
        if updates.isEmpty { throw ServiceError(EINVAL, "no updates were given") }
        for key in updates.keys.sorted() {
            let value = updates[key]!
            switch key {
            case Self.durationKey: duration = try Self.duration(value)
            case Self.queueKey: queue = try Self.text(value, key)
            case Self.nameKey: name = try Self.text(value, key)
            case Self.urgencyKey:
                guard let wide = value.intValue, let number = Int(exactly: wide) else {
                    throw ServiceError(EINVAL, "urgency must be an integer 0-31")
                }
                urgency = number
            default:
                throw ServiceError(EINVAL, "update of \(key) not supported")
            }
        }
    }

    /// A duration value: a finite number of seconds, not negative.
    static func duration(_ value: JSONValue) throws(ServiceError) -> Double {
        guard let seconds = value.doubleValue, seconds.isFinite else {
            throw ServiceError(EINVAL, "\(durationKey) must be a number of seconds")
        }
        if seconds < 0 { throw ServiceError(EINVAL, "duration must not be negative") }
        return seconds
    }

    /// A queue or name value: a non-empty string.
    static func text(_ value: JSONValue, _ key: String) throws(ServiceError) -> String {
        guard let text = value.stringValue else { throw ServiceError(EINVAL, "\(key) must be a string") }
        if text.isEmpty { throw ServiceError(EINVAL, "\(key) must not be empty") }
        return text
    }

    /// True when nothing is to change.
    public var isEmpty: Bool { jobspecKeys.isEmpty && urgency == nil }

    /// True when the scheduler would be asked for something else (duration, queue).
    public var changesRequest: Bool { duration != nil || queue != nil || constraints != nil }

    /// The jobspec keys and their new values: the context of `jobspec-update`.
    public var jobspecKeys: [String: JSONValue] {
        var keys: [String: JSONValue] = [:]
        if let duration { keys[Self.durationKey] = .double(duration) }
        if let queue { keys[Self.queueKey] = .string(queue) }
        if let name { keys[Self.nameKey] = .string(name) }
        if let constraints { keys[Self.constraintsKey] = constraints }
        return keys
    }

    /// Everything asked for, urgency included, as a request's "updates" holds it.
    public var json: JSONValue {
        var keys = jobspecKeys
        if let urgency { keys[Self.urgencyKey] = .int(Int64(urgency)) }
        return .object(keys)
    }

    /// `summary` with a `jobspec-update` context applied (replay): known keys change the
    /// summary, others (constraints) are the jobspec's alone. EINVAL for a malformed value.
    public static func applied(_ context: [String: JSONValue], to summary: JobSummary,
                               job id: JobID) throws(ServiceError) -> JobSummary {
        var summary = summary
        do throws(ServiceError) {
            if let value = context[durationKey] { summary.duration = try duration(value) }
            if let value = context[queueKey] { summary.queue = try text(value, queueKey) }
            if let value = context[nameKey] { summary.name = try text(value, nameKey) }
        } catch {
            throw ServiceError(EINVAL, "job \(id): jobspec-update: \(error.message)")
        }
        return summary
    }
}
