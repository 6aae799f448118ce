// kvs.commit as the services send it (man/man7/fluxs-kvs.7): operations, a namespace,
// and a fence that gathers several commits into one.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// kvs.commit: operations applied all or nothing.
public struct KVSCommitRequest: Sendable, Hashable {
    public var ops: [KVSOperation]
    /// "primary" when absent.
    public var namespace: String?
    /// Gathers `nprocs` commits named `name` into one.
    public var fence: (name: String, nprocs: Int)?

    public init(_ ops: [KVSOperation], namespace: String? = nil) {
        self.ops = ops
        self.namespace = namespace
    }

    public init(json: JSONValue) throws(ServiceError) {
        guard let list = json["ops"]?.arrayValue else { throw ServiceError(EPROTO, "missing \"ops\" (an array)") }
        ops = []
        for op in list { ops.append(try KVSOperation(json: op)) }
        namespace = try json.string("namespace")
        if let fence = json["fence"] {
            guard let name = try fence.string("name"), let nprocs = try fence.integer("nprocs", as: Int.self, in: 1...Int(Int32.max)) else {
                throw ServiceError(EPROTO, "a fence needs \"name\" and a positive \"nprocs\"")
            }
            self.fence = (name, nprocs)
        }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["ops": .array(ops.map(\.json))]
        if let namespace { object["namespace"] = .string(namespace) }
        if let fence { object["fence"] = ["name": .string(fence.name), "nprocs": .int(Int64(fence.nprocs))] }
        return .object(object)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.ops == b.ops && a.namespace == b.namespace && a.fence?.name == b.fence?.name && a.fence?.nprocs == b.fence?.nprocs
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ops)
        hasher.combine(namespace)
        hasher.combine(fence?.name)
    }
}
