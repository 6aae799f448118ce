// kvs.commit as the services send it (man/man7/fluxs-kvs.7): operations, a namespace,
// a fence that gathers several commits into one, and the owners of jobs (the job
// manager tells the KVS who owns each job it makes, and all of them when it starts, so
// that the KVS can let a guest reach its own jobs' keys and no others).
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
    /// The users who own jobs (from the job manager; the instance owner's say only).
    public var owners: [JobID: UInt32] = [:]
    /// Jobs that are inactive from this commit on, whose directories the KVS may move
    /// to disk (from the job manager; the instance owner's say only).
    public var inactive: [JobID] = []

    public init(_ ops: [KVSOperation], namespace: String? = nil, owners: [JobID: UInt32] = [:], inactive: [JobID] = []) {
        self.ops = ops
        self.namespace = namespace
        self.owners = owners
        self.inactive = inactive
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
        for pair in json["owners"]?.arrayValue ?? [] {
            guard let items = pair.arrayValue, items.count == 2, let id = JobID(wire: items[0]),
                  let uid = items[1].intValue.flatMap({ UInt32(exactly: $0) })
            else { throw ServiceError(EPROTO, "\"owners\" must be a list of [job id, user id]") }
            owners[id] = uid
        }
        for item in json["inactive"]?.arrayValue ?? [] {
            guard let id = JobID(wire: item) else { throw ServiceError(EPROTO, "\"inactive\" must be a list of job ids") }
            inactive.append(id)
        }
    }

    public var json: JSONValue {
        var object = [String: JSONValue](minimumCapacity: 4)
        object["ops"] = .array(ops.map(\.json))
        if let namespace { object["namespace"] = .string(namespace) }
        if let fence { object["fence"] = ["name": .string(fence.name), "nprocs": .int(Int64(fence.nprocs))] }
        if !owners.isEmpty {
            object["owners"] = .array(owners.sorted { $0.key < $1.key }.map { [$0.key.wire, .int(Int64($0.value))] })
        }
        if !inactive.isEmpty { object["inactive"] = .array(inactive.map(\.wire)) }
        return .object(object)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.ops == b.ops && a.namespace == b.namespace && a.fence?.name == b.fence?.name && a.fence?.nprocs == b.fence?.nprocs
            && a.owners == b.owners && a.inactive == b.inactive
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ops)
        hasher.combine(namespace)
        hasher.combine(fence?.name)
    }
}
