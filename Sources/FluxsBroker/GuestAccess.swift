// What guests may ask for (man7 fluxs-security). A guest is a user other than the
// instance owner, let in only when the configuration allows it ([access]
// allow-guest-user). Everything else is the owner's: a guest gets EPERM naming the
// topic. The services check ownership themselves: the job manager lets a guest see and
// touch only its own jobs, the kvs only its own jobs' keys.
import FluxsMessage

/// The topics guests may call.
enum GuestAccess {
    static let topics: Set<String> = [
        "broker.ping", "broker.info", "attr.get", "attr.list",
        "job-manager.submit", "job-manager.list", "job-manager.info", "job-manager.wait", "job-manager.last",
        "job-manager.cancel", "job-manager.cancel-all", "job-manager.raise", "job-manager.kill", "job-manager.urgency", "job-manager.memo",
        "job-manager.update",
        "job-manager.queue-list",
        "kvs.get", "kvs.lookup", "kvs.watch", "kvs.commit",
        "resource.status", "resource.R", "sched.feasibility",
    ]

    /// Whether a guest may send `topic` (any service's disconnect notice included: it
    /// is how services forget a client that went away).
    static func allows(_ topic: String) -> Bool { topics.contains(topic) || topic.hasSuffix(".disconnect") }
}
