// What a job asks the scheduler for, reduced from a version 1 jobspec (RFC 25) to the few
// numbers matching needs: an optional node count, slots with cores and gpus each, whole
// nodes or not, a duration and required node properties.
// Properties come from `attributes.system.constraints` (RFC 31). Only the forms that reduce
// to "every node has these properties and lacks those" are accepted: `properties` (names,
// "^name" for must-not-have) and `and` of such objects. `or`, `not`, `hostlist` and `ranks`
// are refused with EINVAL rather than silently ignored, so a job never runs somewhere it
// asked not to.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// What a job asks for, from jobspec V1 (or built directly by the simulator).
public struct ResourceRequest: Sendable, Hashable {
    /// The node count when the request has a node level; nil when it asks for slots only.
    public var nnodes: Int?
    /// Slots in all (with a node level: slots per node times `nnodes`).
    public var nslots: Int
    /// Cores in each slot.
    public var coresPerSlot: Int
    /// GPUs in each slot.
    public var gpusPerSlot: Int
    /// True when the job wants whole nodes.
    public var exclusive: Bool
    /// The duration in seconds; 0 means the graph's (scheduler's) default.
    public var duration: Double
    /// Properties every node must have; a name starting with "^" is one it must not have.
    public var properties: [String]

    /// A request built directly.
    public init(nnodes: Int?, nslots: Int, coresPerSlot: Int, gpusPerSlot: Int = 0, exclusive: Bool = false,
                duration: Double = 0, properties: [String] = []) {
        self.nnodes = nnodes
        self.nslots = nslots
        self.coresPerSlot = coresPerSlot
        self.gpusPerSlot = gpusPerSlot
        self.exclusive = exclusive
        self.duration = duration
        self.properties = properties
    }

    /// The request of a validated jobspec. Throws EINVAL for constraints it cannot honour.
    public init(jobspec: Jobspec) throws(ServiceError) {
        self.init(nnodes: jobspec.nnodes, nslots: jobspec.nslots, coresPerSlot: jobspec.coresPerSlot,
                  gpusPerSlot: jobspec.gpusPerSlot, exclusive: jobspec.exclusive,
                  duration: max(0, jobspec.duration.isFinite ? jobspec.duration : 0))
        if let constraints = jobspec.constraints {
            var names: [String] = []
            try Self.collectProperties(.object(constraints), into: &names)
            properties = names
        }
    }

    /// Slots each node gets when there is a node level (nslots / nnodes).
    public var slotsPerNode: Int? {
        guard let nnodes, nnodes > 0 else { return nil }
        return nslots / nnodes
    }

    /// Cores in all.
    public var ncores: Int { nslots * coresPerSlot }
    /// GPUs in all.
    public var ngpus: Int { nslots * gpusPerSlot }

    /// Appends the property names of an RFC 31 constraint object.
    private static func collectProperties(_ value: JSONValue, into names: inout [String]) throws(ServiceError) {
        guard case .object(let members) = value else {
            throw ServiceError(EINVAL, "constraints: expected an object, not \(value.kindName)")
        }
        for key in members.keys.sorted() {
            let operand = members[key]!
            switch key {
            case "properties":
                guard case .array(let items) = operand else {
                    throw ServiceError(EINVAL, "constraints: properties must be an array of strings")
                }
                for item in items {
                    guard case .string(let name) = item, !name.isEmpty, name != "^" else {
                        throw ServiceError(EINVAL, "constraints: properties must be an array of non-empty strings")
                    }
                    names.append(name)
                }
            case "and":
                guard case .array(let items) = operand else {
                    throw ServiceError(EINVAL, "constraints: and must be an array of constraints")
                }
                for item in items { try collectProperties(item, into: &names) }
            default:
                throw ServiceError(EINVAL, "constraints: operator \"\(key)\" is not supported")
            }
        }
    }
}
