// Broker attributes (man/man7/fluxs-attributes.7): named string values describing the
// instance and tuning the broker. Some are fixed by the broker (read-only), some can be
// set only on the command line with -S (immutable once running), the rest at run time
// with `fluxs setattr`. Unknown names may be created by the owner, as in Flux.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// How an attribute may change.
public enum AttributeAccess: String, Sendable {
    /// Set by the broker; never by users.
    case readOnly = "read-only"
    /// Set with -S at start; fixed afterwards.
    case immutable
    /// Settable at any time.
    case runtime
}

/// The table of broker attributes.
public struct Attributes: Sendable {
    private var values: [String: (value: String, access: AttributeAccess)] = [:]

    /// Names the broker knows, with their access (anything else is a runtime attribute).
    static let known: [String: AttributeAccess] = [
        "rank": .readOnly, "size": .readOnly, "version": .readOnly, "broker.pid": .readOnly,
        "broker.starttime": .readOnly, "local-uri": .readOnly, "hostname": .readOnly,
        "rundir": .immutable, "statedir": .immutable, "parent-uri": .immutable, "instance-level": .immutable,
        "jobid": .immutable,
        "message.max-size": .immutable, "broker.rc2-grace": .immutable, "broker.rc2_none": .immutable,
        "broker.quorum-timeout": .immutable, "tbon.topo": .immutable, "tbon.endpoint": .immutable,
        "tbon.timeout": .immutable, "tbon.keepalive-period": .immutable, "tbon.shutdown-timeout": .immutable,
        "tbon.level": .readOnly, "tbon.maxlevel": .readOnly, "tbon.descendants": .readOnly,
        "tbon.parent-endpoint": .readOnly, "tbon.parent-rank": .readOnly, "tbon.curve": .immutable, "tbon.heal": .immutable,
        "resource.path": .immutable, "resource.R": .immutable, "resource.exclude": .immutable,
        "resource.noverify": .immutable, "sched.queue-policy": .immutable, "sched.match-policy": .immutable,
        "sched.queue-depth": .immutable, "sched.default-duration": .immutable,
        "queues": .immutable, "job-manager.inactive-age-limit": .runtime, "job-manager.max-jobspec-size": .runtime, "job-manager.inactive-num-limit": .runtime,
        "job-exec.kill-timeout": .runtime, "kvs.inactive-cache": .immutable, "job-exec.zygote": .immutable,
        "log-ring-size": .runtime, "log-stderr-level": .runtime, "heartbeat.period": .runtime,
    ]

    /// An empty table.
    public init() {}

    /// The value of `name`, or nil.
    public subscript(name: String) -> String? { values[name]?.value }

    /// Sets a value as the broker (any access).
    public mutating func setByBroker(_ name: String, _ value: String) {
        values[name] = (value, Self.known[name] ?? .runtime)
    }

    /// Sets a value from the command line (-S): anything but read-only.
    public mutating func setAtStart(_ name: String, _ value: String) throws(ServiceError) {
        if Self.known[name] == .readOnly { throw ServiceError(EPERM, "attribute \(name) is read-only") }
        guard !name.isEmpty else { throw ServiceError(EINVAL, "attribute name is empty") }
        try Self.check(name, value)
        values[name] = (value, Self.known[name] ?? .runtime)
    }

    /// Sets a value at run time (`fluxs setattr`): runtime attributes only.
    public mutating func setAtRuntime(_ name: String, _ value: String) throws(ServiceError) {
        guard !name.isEmpty else { throw ServiceError(EINVAL, "attribute name is empty") }
        switch values[name]?.access ?? Self.known[name] ?? .runtime {
        case .readOnly: throw ServiceError(EPERM, "attribute \(name) is read-only")
        case .immutable: throw ServiceError(EPERM, "attribute \(name) can be set only at start (fluxs start -S\(name)=...)")
        case .runtime:
            try Self.check(name, value)
            values[name] = (value, .runtime)
        }
    }

    /// Refuses values the broker could not use for the attributes it reads at run time.
    static func check(_ name: String, _ value: String) throws(ServiceError) {
        switch name {
        case "log-ring-size":
            guard let n = Int(value), n > 0 else { throw ServiceError(EINVAL, "log-ring-size must be a positive integer") }
        case "log-stderr-level":
            guard let n = Int(value), (0...7).contains(n) else { throw ServiceError(EINVAL, "log-stderr-level must be 0 to 7") }
        case "tbon.curve", "tbon.heal", "job-exec.zygote":
            guard value == "on" || value == "off" else { throw ServiceError(EINVAL, "\(name) must be on or off") }
        case "kvs.inactive-cache":
            guard let n = Int(value), n >= 0 else { throw ServiceError(EINVAL, "kvs.inactive-cache must be a number of jobs, 0 or more") }
        case "heartbeat.period":
            guard let s = try? FluxDuration.parse(value), s > 0, s.isFinite else {
                throw ServiceError(EINVAL, "heartbeat.period must be a positive duration such as 2s")
            }
        default:
            break
        }
    }

    /// Removes a runtime attribute.
    public mutating func remove(_ name: String) throws(ServiceError) {
        guard let entry = values[name] else { throw ServiceError(ENOENT, "attribute \(name) is not set") }
        guard entry.access == .runtime, Self.known[name] == nil else {
            throw ServiceError(EPERM, "attribute \(name) cannot be removed")
        }
        values[name] = nil
    }

    /// Every attribute, sorted by name.
    public var all: [(name: String, value: String, access: AttributeAccess)] {
        values.keys.sorted().map { ($0, values[$0]!.value, values[$0]!.access) }
    }
}
