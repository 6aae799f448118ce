// Randomized property tests: random heterogeneous clusters and random sequences of allocate,
// free, down/drain, earliestStart + reserve and cancel, with every policy. After each step:
// allocations never overlap and never exceed the instance, allocated + freeNow account for
// every core and gpu, nothing new lands on an unusable rank, allocations never overlap a
// reservation in time, a planned start never overlaps a running job or another booking, and
// feasibility agrees with the planner. At the end, freeing everything restores freeNow exactly.
import FluxsFormats
import FluxsSched
import Testing

/// A small seeded generator (SplitMix64), so failures reproduce.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `R` without its time window.
private func timeless(_ R: ResourceSet) -> ResourceSet {
    var copy = R
    copy.starttime = 0
    copy.expiration = 0
    return copy
}

/// True when two sets share no core or gpu.
private func disjoint(_ a: ResourceSet, _ b: ResourceSet) -> Bool {
    a.intersection(b).isEmpty
}

struct GraphPropertyTests {
    /// A random cluster: 4-12 nodes, 1-70 cores (ids sometimes offset), 0-3 gpus, properties a/b.
    private func randomCluster(_ rng: inout SplitMix) -> ResourceSet {
        let count = Int.random(in: 4...12, using: &rng)
        var rank: UInt32 = 0
        return ResourceSet(nodes: (0..<count).map { _ in
            rank += UInt32.random(in: 1...2, using: &rng)
            let cores = UInt32.random(in: 1...70, using: &rng), offset = UInt32.random(in: 0...2, using: &rng) * 4
            let gpus = UInt32.random(in: 0...3, using: &rng)
            var properties: Set<String> = []
            if Bool.random(using: &rng) { properties.insert("a") }
            if Int.random(in: 0..<4, using: &rng) == 0 { properties.insert("b") }
            return ResourceSet.Node(rank: rank, hostname: "h\(rank)", cores: IDSet(range: offset...(offset + cores - 1)),
                                    gpus: gpus > 0 ? IDSet(range: 0...(gpus - 1)) : IDSet(), properties: properties)
        })
    }

    private func randomRequest(_ rng: inout SplitMix) -> ResourceRequest {
        let nodes: Int? = Bool.random(using: &rng) ? Int.random(in: 1...3, using: &rng) : nil
        let perNode = Int.random(in: 1...4, using: &rng)
        let properties = [[], [], ["a"], ["^a"], ["b"], ["a", "^b"]][Int.random(in: 0..<6, using: &rng)]
        return ResourceRequest(
            nnodes: nodes, nslots: (nodes ?? 1) * perNode, coresPerSlot: Int.random(in: 1...20, using: &rng),
            gpusPerSlot: Int.random(in: 0..<4, using: &rng) == 0 ? 1 : 0,
            exclusive: nodes != nil && Int.random(in: 0..<4, using: &rng) == 0,
            duration: Double(Int.random(in: 1...60, using: &rng)), properties: properties)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomOperationsKeepTheInvariants(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let instance = randomCluster(&rng)
        var graph = ResourceGraph(instance)
        var live: [JobID: ResourceSet] = [:]
        var booked: [JobID: (R: ResourceSet, at: Double, end: Double)] = [:]
        var nextJob: JobID = 1
        var now = 0.0
        for _ in 0..<1500 {
            now += Double(Int.random(in: 0...3, using: &rng))
            let request = randomRequest(&rng)
            let policy = MatchPolicy.allCases.randomElement(using: &rng)!
            let feasible = graph.infeasibility(request) == nil
            switch Int.random(in: 0..<20, using: &rng) {
            case 0..<9:
                let job = nextJob
                nextJob = JobID(nextJob.value + 1)
                guard let R = graph.allocate(job, request, now: now, policy: policy) else { continue }
                #expect(feasible)
                #expect(R.starttime == now && R.expiration == now + request.duration)
                #expect(R.ranks.isDisjoint(with: graph.unavailable))
                for (_, other) in live { #expect(disjoint(R, other)) }
                for (_, booking) in booked where booking.at < R.expiration && booking.end > now {
                    #expect(disjoint(R, booking.R))
                }
                if let count = request.nnodes { #expect(R.nnodes == count) }
                if !(request.exclusive || policy.isNodeExclusive) {
                    #expect(R.ncores == request.ncores && R.ngpus == request.ngpus)
                } else {
                    #expect(R.ncores >= request.ncores && R.ngpus >= request.ngpus)
                }
                for property in request.properties {
                    let name = String(property.drop { $0 == "^" })
                    let holders = instance.ranks(withProperty: name)
                    #expect(property.hasPrefix("^") ? R.ranks.isDisjoint(with: holders) : R.ranks.isSubset(of: holders))
                }
                live[job] = R
            case 9..<15:
                guard let job = live.keys.randomElement(using: &rng) else { continue }
                graph.free(job)
                live[job] = nil
            case 15:
                let down = IDSet(instance.ranks.filter { _ in Int.random(in: 0..<5, using: &rng) == 0 })
                graph.setUnavailable(down)
            case 16:
                graph.setUnavailable([])
            case 17, 18:
                guard let start = graph.earliestStart(request, now: now, policy: policy) else {
                    #expect(!feasible || !graph.unavailable.isEmpty)
                    continue
                }
                #expect(feasible)
                #expect(start.time >= now)
                let end = start.time + request.duration
                for (job, R) in live where max(graph.plannedEnd(of: job)!, now + graph.overrunGrace) > start.time {
                    #expect(disjoint(start.R, R))
                }
                for (_, booking) in booked where booking.at < end && booking.end > start.time {
                    #expect(disjoint(start.R, booking.R))
                }
                let job = nextJob
                nextJob = JobID(nextJob.value + 1)
                graph.reserve(job, start.R, at: start.time, duration: request.duration)
                booked[job] = (start.R, start.time, end)
            default:
                guard let job = booked.keys.randomElement(using: &rng) else { continue }
                graph.cancelReservation(job)
                booked[job] = nil
            }
            // Accounting: allocated is exactly the union of live allocations, and with freeNow
            // (usable ranks) and the unusable remainder it makes up the instance.
            var union = ResourceSet()
            for (_, R) in live { union = try union.union(timeless(R)) }
            let allocated = graph.allocated
            #expect(allocated == union)
            let free = graph.freeNow
            #expect(disjoint(free, allocated))
            #expect(free.ranks.isDisjoint(with: graph.unavailable))
            #expect(graph.freeCoreCount == free.ncores && graph.freeGpuCount == free.ngpus)
            let unusable = instance.restricted(to: graph.unavailable).subtracting(allocated)
            #expect(allocated.ncores + free.ncores + unusable.ncores == instance.ncores)
            #expect(allocated.ngpus + free.ngpus + unusable.ngpus == instance.ngpus)
        }
        for job in live.keys { graph.free(job) }
        graph.cancelAllReservations()
        graph.setUnavailable([])
        #expect(graph.freeNow == instance)
        #expect(graph.allocated.isEmpty && graph.runningJobCount == 0)
    }
}
