// The services' methods (each service's page in man7 says what they take and answer).
extension ServiceMethod {
    /// kvs.* (man/man7/fluxs-kvs.7).
    public static let kvs = KVSMethods()
    /// job-manager.* (man/man7/fluxs-job-manager.7).
    public static let jobManager = JobManagerMethods()
    /// sched.* (man/man7/fluxs-sched-protocol.7).
    public static let sched = SchedMethods()
    /// job-exec.* (man/man7/fluxs-job-exec.7).
    public static let jobExec = JobExecMethods()
    /// resource.* (man/man7/fluxs-resource.7).
    public static let resource = ResourceMethods()
    /// exec.* (man/man7/fluxs-exec.7).
    public static let exec = ExecMethods()
    /// heartbeat.*.
    public static let heartbeat = HeartbeatMethods()
}

/// kvs.*: a guest reads its own jobs' keys and writes their guest.* and pmi.* keys.
public struct KVSMethods: Sendable {
    public let get = ServiceMethod("kvs.get", .guest)
    public let lookup = ServiceMethod("kvs.lookup", .guest)
    public let commit = ServiceMethod("kvs.commit", .guest)
    public let watch = ServiceMethod("kvs.watch", .guest)
    public let unwatch = ServiceMethod("kvs.unwatch", .guest)
    public let version = ServiceMethod("kvs.version")
    public let waitVersion = ServiceMethod("kvs.wait-version")
    public let namespaceCreate = ServiceMethod("kvs.namespace-create")
    public let namespaceRemove = ServiceMethod("kvs.namespace-remove")
    public let namespaceList = ServiceMethod("kvs.namespace-list")
    public let disconnect = ServiceMethod.disconnect("kvs")
    public var all: [ServiceMethod] {
        [get, lookup, commit, watch, unwatch, version, waitVersion, namespaceCreate, namespaceRemove, namespaceList, disconnect]
    }
}

/// job-manager.*: a guest sees and acts on its own jobs only.
public struct JobManagerMethods: Sendable {
    public let submit = ServiceMethod("job-manager.submit", .guest)
    public let list = ServiceMethod("job-manager.list", .guest)
    public let info = ServiceMethod("job-manager.info", .guest)
    public let wait = ServiceMethod("job-manager.wait", .guest)
    public let last = ServiceMethod("job-manager.last", .guest)
    public let cancel = ServiceMethod("job-manager.cancel", .guest)
    public let cancelAll = ServiceMethod("job-manager.cancel-all", .guest)
    public let raise = ServiceMethod("job-manager.raise", .guest)
    public let kill = ServiceMethod("job-manager.kill", .guest)
    public let urgency = ServiceMethod("job-manager.urgency", .guest)
    public let memo = ServiceMethod("job-manager.memo", .guest)
    public let update = ServiceMethod("job-manager.update", .guest)
    public let eventsJournal = ServiceMethod("job-manager.events-journal", .guest)
    public let eventsJournalCancel = ServiceMethod("job-manager.events-journal-cancel", .guest)
    public let queueList = ServiceMethod("job-manager.queue-list", .guest)
    public let queueEnable = ServiceMethod("job-manager.queue-enable")
    public let queueStart = ServiceMethod("job-manager.queue-start")
    public let queueWait = ServiceMethod("job-manager.queue-wait")
    public let purge = ServiceMethod("job-manager.purge")
    public let purgeID = ServiceMethod("job-manager.purge-id")
    public let disconnect = ServiceMethod.disconnect("job-manager")
    public var all: [ServiceMethod] {
        [submit, list, info, wait, last, cancel, cancelAll, raise, kill, urgency, memo, update, eventsJournal,
         eventsJournalCancel, queueList, queueEnable, queueStart, queueWait, purge, purgeID, disconnect]
    }
}

/// sched.*: the job manager's counterpart (RFC 27 in spirit).
public struct SchedMethods: Sendable {
    public let hello = ServiceMethod("sched.hello")
    public let alloc = ServiceMethod("sched.alloc")
    public let free = ServiceMethod("sched.free")
    public let cancel = ServiceMethod("sched.cancel")
    public let expiration = ServiceMethod("sched.expiration")
    public let prioritize = ServiceMethod("sched.prioritize")
    public let feasibility = ServiceMethod("sched.feasibility", .guest)
    public let status = ServiceMethod("sched.status")
    public var all: [ServiceMethod] { [hello, alloc, free, cancel, expiration, prioritize, feasibility, status] }
}

/// job-exec.*: rank 0 runs jobs across ranks; every rank starts and signals shells.
public struct JobExecMethods: Sendable {
    public let start = ServiceMethod("job-exec.start", .owner, .rank0)
    public let kill = ServiceMethod("job-exec.kill", .owner, .rank0)
    public let launch = ServiceMethod("job-exec.launch")
    public let signal = ServiceMethod("job-exec.signal")
    public var all: [ServiceMethod] { [start, kill, launch, signal] }
}

/// resource.*: discovery on every rank; the instance's R and up/down/drain on rank 0.
public struct ResourceMethods: Sendable {
    public let hello = ServiceMethod("resource.hello", .owner, .rank0)
    public let R = ServiceMethod("resource.R", .guest, .rank0)
    public let status = ServiceMethod("resource.status", .guest, .rank0)
    public let drain = ServiceMethod("resource.drain", .owner, .rank0)
    public let undrain = ServiceMethod("resource.undrain", .owner, .rank0)
    public let infoLocal = ServiceMethod("resource.info-local")
    public var all: [ServiceMethod] { [hello, R, status, drain, undrain, infoLocal] }
}

/// exec.*: processes on a rank (fluxs exec).
public struct ExecMethods: Sendable {
    public let spawn = ServiceMethod("exec.spawn")
    public let write = ServiceMethod("exec.write")
    public let kill = ServiceMethod("exec.kill")
    public let list = ServiceMethod("exec.list")
    public let disconnect = ServiceMethod.disconnect("exec")
    public var all: [ServiceMethod] { [spawn, write, kill, list, disconnect] }
}

/// heartbeat.*
public struct HeartbeatMethods: Sendable {
    public let get = ServiceMethod("heartbeat.get")
    public var all: [ServiceMethod] { [get] }
}
