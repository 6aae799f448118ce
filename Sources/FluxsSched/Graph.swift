// The scheduler's model of an instance: its nodes (GraphNodes, fixed), what is free now
// (GraphState), the running allocations and the reservations booked in the future.
// Time is Double seconds on the caller's clock. An allocation holds its resources over
// [start, end); a job running past its planned end keeps them until freed, and the planner
// then treats its end as max(end, now + overrunGrace) so it is never double-booked.
// A reservation holds exact cores and gpus over [at, at + duration); matching for a window
// [t, t + d) never uses resources of a reservation whose window overlaps it (except the
// job's own), so backfilled jobs cannot delay reserved ones.
// Files: GraphNodes (node table, bit masks), GraphState (free now), GraphIndex (segment
// tree and buckets), GraphMatch (the matcher), GraphAllocate (allocate, free, restore,
// down/drained), GraphFeasibility (why never), Planner (earliest start, reservations).
import FluxsFormats

/// The instance's resources with their allocations over time.
public struct ResourceGraph: Sendable {
    /// The nodes of the instance.
    let nodes: GraphNodes
    /// What is free now.
    var state: GraphState
    /// Running jobs.
    var allocations: [JobID: GraphAllocation] = [:]
    /// Booked jobs.
    var reservations: [JobID: GraphReservation] = [:]
    /// For each node, the reservations that hold something on it (with their window and bits,
    /// so the matcher checks a node without looking the reservation up).
    var nodeReservations: [[NodeBooking]]
    /// The instance's R, as given (hostnames, properties), without a time window.
    public let instance: ResourceSet
    /// The ranks currently marked down or drained.
    public internal(set) var unavailable = IDSet()

    /// The duration given to requests whose duration is 0 (seconds; default one hour).
    public var defaultDuration: Double = 3600
    /// How far past `now` the planner puts the end of a job running past its planned end.
    public var overrunGrace: Double = 1

    /// A graph of the resources of `R`, all free and usable.
    public init(_ R: ResourceSet) {
        var instance = R
        instance.starttime = 0
        instance.expiration = 0
        instance.nslots = nil
        instance.scheduling = nil
        self.instance = instance
        nodes = GraphNodes(R)
        state = GraphState(nodes)
        nodeReservations = [[NodeBooking]](repeating: [], count: nodes.count)
    }

    /// The number of nodes.
    public var nnodes: Int { nodes.count }
    /// The number of cores.
    public var ncores: Int { Int(nodes.totalCores.reduce(0, +)) }
    /// The number of gpus.
    public var ngpus: Int { Int(nodes.totalGpus.reduce(0, +)) }

    /// The R an allocation was given, or nil when the job holds nothing.
    public func allocation(of job: JobID) -> ResourceSet? { allocations[job]?.R }

    /// The R and window of a job's reservation, or nil.
    public func reservation(of job: JobID) -> (R: ResourceSet, at: Double, duration: Double)? {
        reservations[job].map { ($0.R, $0.at, $0.end - $0.at) }
    }

    /// The jobs holding resources now.
    public var runningJobs: [JobID] { Array(allocations.keys) }
    /// The number of jobs holding resources now.
    public var runningJobCount: Int { allocations.count }

    /// The planned end of a running job (its expiration; 0 when unknown), or nil.
    public func plannedEnd(of job: JobID) -> Double? { allocations[job]?.end }

    /// Free cores over usable nodes now (ignoring reservations).
    public var freeCoreCount: Int { state.usableFreeCores }
    /// Free gpus over usable nodes now (ignoring reservations).
    public var freeGpuCount: Int { state.usableFreeGpus }

    /// Everything not allocated now on usable nodes (reservations are not subtracted).
    public var freeNow: ResourceSet {
        var result: [ResourceSet.Node] = []
        for position in 0..<nodes.count where state.usable[position] && state.freeCores[position] + state.freeGpus[position] > 0 {
            result.append(nodes.node(position, words: state.freeWords(position)))
        }
        return ResourceSet(nodes: result)
    }

    /// Everything allocated now, on any node.
    public var allocated: ResourceSet {
        var result: [ResourceSet.Node] = []
        for position in 0..<nodes.count {
            var held = nodes.shape(position).fullWords
            let base = position * state.stride
            var any = false
            for k in 0..<state.stride {
                held[k] &= ~state.free[base + k]
                if held[k] != 0 { any = true }
            }
            if any { result.append(nodes.node(position, words: held[...])) }
        }
        return ResourceSet(nodes: result)
    }
}

/// Cores and gpus on some nodes: the positions and, per position, `stride` mask words.
struct GraphHolding: Sendable {
    /// Node positions, ascending.
    var positions: [Int32] = []
    /// Mask words, `stride` per position.
    var words: [UInt64] = []

    /// The words of the `k`-th node.
    func words(_ k: Int, stride: Int) -> ArraySlice<UInt64> {
        words[(k * stride)..<((k + 1) * stride)]
    }
}

/// A running job's resources.
struct GraphAllocation: Sendable {
    /// What it holds.
    var holding: GraphHolding
    /// When it started.
    var start: Double
    /// Its planned end (0 when unknown, as after a restore of an R without expiration).
    var end: Double
    /// The R it was given.
    var R: ResourceSet
}

/// A job's booking in the future.
struct GraphReservation: Sendable {
    /// What it will hold.
    var holding: GraphHolding
    /// When it starts.
    var at: Double
    /// When it ends.
    var end: Double
    /// The R it was booked with.
    var R: ResourceSet
}

/// One reservation's part on one node: the job, its window and the bits it holds there.
struct NodeBooking: Sendable {
    var job: JobID
    var at: Double
    var end: Double
    var words: [UInt64]
}
