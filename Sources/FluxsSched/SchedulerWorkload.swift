// A synthetic workload for the simulator and the benchmarks when no trace is at hand:
// seeded and deterministic (SplitMix64), so the same seed gives the same jobs everywhere.
// The mix is loosely shaped like a capacity cluster: 60% small jobs (1 core up to one node's
// cores), 30% medium (2 to 16 whole nodes), 10% large (up to a quarter of the machine);
// run times are log-uniform from 1 minute to 4 hours, and each time limit overestimates the
// run time by a factor between 1 and 3, rounded up to whole minutes, as users do. Arrivals
// are exponential at a rate that offers `load` (default 0.95) of the machine's cores.

#if canImport(Glibc)
import FluxsFormats
import Glibc
#endif

/// Generates synthetic workloads.
public struct SyntheticWorkload: Sendable {
    /// Nodes of the machine the workload is shaped for.
    public var nodes: Int
    /// Cores per node of that machine.
    public var coresPerNode: Int
    /// The fraction of the machine the arrivals offer.
    public var load: Double

    /// A generator for a machine of `nodes` x `coresPerNode`.
    public init(nodes: Int, coresPerNode: Int, load: Double = 0.95) {
        self.nodes = max(nodes, 1)
        self.coresPerNode = max(coresPerNode, 1)
        self.load = load
    }

    /// `count` jobs, ids 1...count, in submission order, from seed `seed`.
    public func jobs(count: Int, seed: UInt64) -> [SimulatedJob] {
        var random = SplitMix64(seed: seed)
        var jobs: [SimulatedJob] = []
        jobs.reserveCapacity(count)
        var coreSeconds = 0.0
        for index in 0..<count {
            let runTime = (60 * exp2(random.unit() * log2(240))).rounded()
            let limit = (runTime * (1 + 2 * random.unit()) / 60).rounded(.up) * 60
            let request = shape(&random, duration: limit)
            coreSeconds += Double(request.nslots * request.coresPerSlot) * runTime
            jobs.append(SimulatedJob(id: JobID(UInt64(index + 1)), submitTime: 0, runTime: runTime, request: request))
        }
        let meanGap = count > 0 ? coreSeconds / Double(count) / (Double(nodes * coresPerNode) * load) : 0
        var time = 0.0
        for index in jobs.indices {
            jobs[index].submitTime = time.rounded()
            time += -meanGap * log1p(-random.unit())
        }
        return jobs
    }

    /// The resources of one job.
    private func shape(_ random: inout SplitMix64, duration: Double) -> ResourceRequest {
        let kind = random.unit()
        if kind < 0.6 {
            let cores = 1 + random.below(coresPerNode)
            return ResourceRequest(nnodes: nil, nslots: cores, coresPerSlot: 1, duration: duration)
        }
        let largest = kind < 0.9 ? min(16, nodes) : max(nodes / 4, 1)
        let count = min(2 + random.below(max(largest - 1, 1)), nodes)
        return ResourceRequest(nnodes: count, nslots: count, coresPerSlot: coresPerNode, exclusive: true, duration: duration)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, well-mixed seeded generator.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A uniform integer in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
}
