// What a job asks the scheduler for, reduced from a version 1 jobspec (RFC 25) to the few
// numbers matching needs: an optional node count, slots with cores and gpus each, whole
// nodes or not, a duration and required node properties.
// The node constraint comes from `attributes.system.constraints` (RFC 31, read by
// `JobConstraint`): every operator flux-core's matcher knows (properties, hostlist, ranks,
// and, or, not); anything else is refused with EINVAL at submission, so a job never runs
// somewhere it asked not to.
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
    /// What every node of the job must satisfy; nil: any node.
    public var constraint: JobConstraint?

    /// The property names when the constraint is only properties joined by `and` ("^name":
    /// must not have), else [].
    public var properties: [String] { constraint?.conjunctiveProperties ?? [] }

    /// A request built directly.
    public init(nnodes: Int?, nslots: Int, coresPerSlot: Int, gpusPerSlot: Int = 0, exclusive: Bool = false,
                duration: Double = 0, properties: [String] = [], constraint: JobConstraint? = nil) {
        self.nnodes = nnodes
        self.nslots = nslots
        self.coresPerSlot = coresPerSlot
        self.gpusPerSlot = gpusPerSlot
        self.exclusive = exclusive
        self.duration = duration
        self.constraint = constraint ?? (properties.isEmpty ? nil : .properties(properties))
    }

    /// The request of a validated jobspec. Throws EINVAL for constraints it cannot honour.
    public init(jobspec: Jobspec) throws(ServiceError) {
        self.init(nnodes: jobspec.nnodes, nslots: jobspec.nslots, coresPerSlot: jobspec.coresPerSlot,
                  gpusPerSlot: jobspec.gpusPerSlot, exclusive: jobspec.exclusive,
                  duration: max(0, jobspec.duration.isFinite ? jobspec.duration : 0))
        if let constraints = jobspec.constraints {
            do throws(ParseError) {
                try Self.checkProperties(.object(constraints))
                let parsed = try JobConstraint(json: .object(constraints))
                constraint = parsed == .any ? nil : parsed
            } catch {
                throw ServiceError(EINVAL, "constraints: \(error.message)")
            }
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

    /// Refuses empty property names (and "^" alone) anywhere in an RFC 31 object: no node
    /// could have them.
    private static func checkProperties(_ value: JSONValue) throws(ParseError) {
        guard case .object(let members) = value else { return }
        for (key, operand) in members {
            guard case .array(let items) = operand else { continue }
            if key == "properties" {
                for case .string(let name) in items where name.isEmpty || name == "^" {
                    throw ParseError("properties must be an array of non-empty strings")
                }
            } else if key == "and" || key == "or" || key == "not" {
                for item in items { try checkProperties(item) }
            }
        }
    }
}
