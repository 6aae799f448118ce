// The broker's built-in services (man/man7/fluxs-protocol.7, SERVICES).
extension ServiceMethod {
    /// broker.*: liveness, identity, shutdown.
    public static let broker = BrokerMethods()
    /// attr.*: broker attributes.
    public static let attr = AttrMethods()
    /// log.*: the broker's log ring.
    public static let log = LogMethods()
    /// service.*: services provided by local clients.
    public static let service = ServiceRegistryMethods()
    /// event.*: publishing and subscribing.
    public static let event = EventMethods()
    /// module.*: loading and listing modules.
    public static let module = ModuleMethods()
    /// overlay.*: the tree of brokers.
    public static let overlay = OverlayMethods()
    /// config.*: the instance's configuration.
    public static let config = ConfigMethods()
}

/// broker.*
public struct BrokerMethods: Sendable {
    public let ping = ServiceMethod("broker.ping", .guest)
    public let info = ServiceMethod("broker.info", .guest)
    public let shutdown = ServiceMethod("broker.shutdown")
    public var all: [ServiceMethod] { [ping, info, shutdown] }
}

/// attr.*
public struct AttrMethods: Sendable {
    public let get = ServiceMethod("attr.get", .guest)
    public let set = ServiceMethod("attr.set")
    public let rm = ServiceMethod("attr.rm")
    public let list = ServiceMethod("attr.list", .guest)
    public var all: [ServiceMethod] { [get, set, rm, list] }
}

/// log.*
public struct LogMethods: Sendable {
    public let append = ServiceMethod("log.append")
    public let dmesg = ServiceMethod("log.dmesg")
    public let clear = ServiceMethod("log.clear")
    public var all: [ServiceMethod] { [append, dmesg, clear] }
}

/// service.*
public struct ServiceRegistryMethods: Sendable {
    public let add = ServiceMethod("service.add")
    public let remove = ServiceMethod("service.remove")
    public var all: [ServiceMethod] { [add, remove] }
}

/// event.*
public struct EventMethods: Sendable {
    public let pub = ServiceMethod("event.pub", .owner, .rank0)
    public let subscribe = ServiceMethod("event.subscribe")
    public let unsubscribe = ServiceMethod("event.unsubscribe")
    public var all: [ServiceMethod] { [pub, subscribe, unsubscribe] }
}

/// module.*
public struct ModuleMethods: Sendable {
    public let list = ServiceMethod("module.list")
    public let load = ServiceMethod("module.load")
    public let remove = ServiceMethod("module.remove")
    public let stats = ServiceMethod("module.stats")
    public var all: [ServiceMethod] { [list, load, remove, stats] }
}

/// overlay.*
public struct OverlayMethods: Sendable {
    public let status = ServiceMethod("overlay.status")
    public let join = ServiceMethod("overlay.join", .owner, .rank0)
    public var all: [ServiceMethod] { [status, join] }
}

/// config.*
public struct ConfigMethods: Sendable {
    public let get = ServiceMethod("config.get")
    public var all: [ServiceMethod] { [get] }
}
