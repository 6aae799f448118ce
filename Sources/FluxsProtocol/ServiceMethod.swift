// The methods of every service, in one catalog: a method's topic, who may call it, and
// where it is served. Producers call `rpc(.kvs.lookup, ...)`, services list the methods
// they serve in their handler tables, and the broker, the security page and its test
// read the same rows (man/man7/fluxs-protocol.7, man/man7/fluxs-security.7).
import FluxsMessage

/// One method of a service (a request topic) and its access rules.
public struct ServiceMethod: Hashable, Sendable, CustomStringConvertible {
    /// Who may send the request.
    public enum Access: String, Sendable {
        /// The instance owner only.
        case owner
        /// The owner and guests (users with the user role), each service checking
        /// that a guest touches only what is its own.
        case guest
    }

    /// Where the request is served.
    public enum Placement: String, Sendable {
        /// By whichever rank it is addressed to.
        case anyRank
        /// On rank 0 only: other ranks forward it there.
        case rank0
    }

    /// `service.method`.
    public let topic: String
    /// Who may send it.
    public let access: Access
    /// Where it is served.
    public let placement: Placement

    public init(_ topic: String, _ access: Access = .owner, _ placement: Placement = .anyRank) {
        self.topic = topic
        self.access = access
        self.placement = placement
    }

    /// The service part of the topic.
    public var service: Substring { topic.prefix { $0 != "." } }

    /// Whether a request with these roles may call the method.
    public func allows(_ roles: Roles) -> Bool {
        roles.contains(.owner) || (access == .guest && roles.contains(.user))
    }

    public var description: String { topic }
}

extension ServiceMethod {
    /// Every method of every service, by topic.
    public static let catalog: [String: ServiceMethod] = {
        var all: [String: ServiceMethod] = [:]
        for method in everyMethod { all[method.topic] = method }
        return all
    }()

    /// Every method of every service, in the order of the catalog's files.
    public static var everyMethod: [ServiceMethod] {
        broker.all + attr.all + log.all + service.all + event.all + module.all + overlay.all + config.all
            + kvs.all + jobManager.all + sched.all + jobExec.all + resource.all + exec.all + heartbeat.all
    }

    /// The notice a broker sends to a service along a client's route when the client goes
    /// away; every caller may send it, since it only lets the service forget the caller.
    public static func disconnect(_ service: Substring) -> ServiceMethod {
        ServiceMethod("\(service).disconnect", .guest)
    }

    /// The method for a topic: the catalog's row, a disconnect notice, or (for a topic
    /// the catalog lacks, such as one of a service a client provides) an owner-only method.
    public static func lookup(_ topic: String) -> ServiceMethod {
        if let method = catalog[topic] { return method }
        let method = ServiceMethod(topic)
        return isDisconnect(topic) ? disconnect(method.service) : method
    }

    /// The liveness check every service answers (the module frame, for modules).
    public static func ping(_ service: Substring) -> ServiceMethod {
        ServiceMethod("\(service).ping", .guest)
    }

    /// Whether `topic` is a disconnect notice.
    public static func isDisconnect(_ topic: String) -> Bool { topic.hasSuffix(".disconnect") }
}
