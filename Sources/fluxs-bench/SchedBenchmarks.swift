// Benchmarks of the scheduler's resource graph (FluxsSched) on clusters of 64-core, 4-gpu
// nodes: building the graph from R (16, 1,024, 10,240 nodes) and its memory per node (RSS
// growth over several graphs kept alive); p50/p99 time of one match (1 core on a half-full
// 1,024-node cluster; one whole node; 1 core on 10,240 nodes with 1,000 exclusive nodes and
// 10,000 jobs running; the same with 1,000 reserved nodes in the way); the planner's earliest start for a 64-node job in that state; and
// allocation rate for 1-core jobs until full, then free/allocate cycling.
// Each match is timed alone (the free that undoes it is not), so p99 shows real outliers.
import FluxsFormats
import FluxsSched
#if canImport(Glibc)
import Glibc
#endif

/// A cluster of `count` nodes with 64 cores and 4 gpus each, hosts node0...
private func schedCluster(_ count: Int) -> ResourceSet {
    let cores = IDSet(range: 0...63), gpus = IDSet(range: 0...3)
    return ResourceSet(nodes: (0..<count).map {
        ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: cores, gpus: gpus)
    })
}

/// Resident set size of this process in bytes.
private func residentBytes() -> Double {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: 256)
    let n = read(fd, &buf, buf.count)
    guard n > 0 else { return 0 }
    let fields = String(decoding: buf[0..<n], as: UTF8.self).split(separator: " ")
    return (Double(fields.count > 1 ? fields[1] : "0") ?? 0) * Double(sysconf(Int32(_SC_PAGESIZE)))
}

/// Median milliseconds to build a graph of `count` nodes.
private func buildMilliseconds(_ count: Int) -> Double {
    let R = schedCluster(count)
    var times: [Double] = []
    for _ in 0..<(count > 5000 ? 5 : 21) {
        let start = monotonicSeconds()
        blackHole(ResourceGraph(R))
        times.append(monotonicSeconds() - start)
    }
    times.sort()
    return times[times.count / 2] * 1e3
}

/// The (p50, p99) microseconds of `allocate` for `request` on `graph`, freeing after each.
private func matchMicroseconds(_ graph: ResourceGraph, _ request: ResourceRequest, rounds: Int = 20_000) -> (Double, Double) {
    var graph = graph
    var times: [Double] = []
    times.reserveCapacity(rounds)
    let job = JobID(1 << 40)
    for _ in 0..<rounds {
        let start = monotonicSeconds()
        let R = graph.allocate(job, request, now: 0, policy: .firstFit)
        times.append(monotonicSeconds() - start)
        precondition(R != nil, "benchmark request did not fit")
        graph.free(job)
    }
    times.sort()
    return (times[times.count / 2] * 1e6, times[times.count * 99 / 100] * 1e6)
}

/// 10,240 nodes with 1,000 nodes held by 1,000 exclusive jobs and 9,000 1-core jobs running.
private func loadedGraph() -> ResourceGraph {
    var graph = ResourceGraph(schedCluster(10_240))
    let whole = ResourceRequest(nnodes: 1, nslots: 1, coresPerSlot: 64, exclusive: true, duration: 3600)
    let small = ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, duration: 600)
    for job in 0..<1000 { _ = graph.allocate(JobID(UInt64(job)), whole, now: 0, policy: .firstFit) }
    for job in 1000..<10_000 { _ = graph.allocate(JobID(UInt64(job)), small, now: Double(job % 100), policy: .highID) }
    return graph
}

/// The loaded graph with 1,000 reservations of one whole node each on the lowest idle nodes,
/// starting in 1,000 s: a 1-hour 1-core job must skip every one of them.
private func reservedGraph() -> ResourceGraph {
    var graph = loadedGraph()
    for k in 0..<1000 {
        let rank = UInt32(1000 + k)
        let R = ResourceSet(nodes: [ResourceSet.Node(rank: rank, hostname: "node\(rank)", cores: IDSet(range: 0...63),
                                                     gpus: IDSet(range: 0...3))])
        graph.reserve(JobID(UInt64(20_000 + k)), R, at: 1000, duration: 600)
    }
    return graph
}

/// Caches a figure pair so p50 and p99 come from one measurement.
private final class PairCache {
    var pairs: [String: (Double, Double)] = [:]
    func pair(_ key: String, _ measure: () -> (Double, Double)) -> (Double, Double) {
        if let known = pairs[key] { return known }
        let value = measure()
        pairs[key] = value
        return value
    }
}

func schedBenchmarks() -> [Benchmark] {
    let cache = PairCache()
    let oneCore = ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, duration: 60)
    let wholeNode = ResourceRequest(nnodes: 1, nslots: 1, coresPerSlot: 64, exclusive: true, duration: 60)
    let halfFull: () -> ResourceGraph = {
        var graph = ResourceGraph(schedCluster(1024))
        let small = ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, duration: 600)
        for job in 0..<(1024 * 32) { _ = graph.allocate(JobID(UInt64(job)), small, now: 0, policy: .bestFit) }
        return graph
    }
    var all: [Benchmark] = []
    for count in [16, 1024, 10_240] {
        all.append(Benchmark(group: "sched", name: "build graph \(count) nodes") {
            BenchFigure(name: "build graph (\(count) nodes x 64 cores x 4 gpus)", value: buildMilliseconds(count), unit: "ms")
        })
    }
    all.append(Benchmark(group: "sched", name: "graph memory per node") {
        let R = schedCluster(10_240)
        let before = residentBytes()
        var graphs: [ResourceGraph] = []
        for _ in 0..<8 { graphs.append(ResourceGraph(R)) }
        let growth = residentBytes() - before
        blackHole(graphs)
        return BenchFigure(name: "graph memory (RSS growth / node, 8 x 10,240 nodes)", value: growth / Double(8 * 10_240), unit: "B/node")
    })
    let matches: [(String, String, () -> (Double, Double))] = [
        ("1 core", "match 1 core (1,024 nodes, half full)", { matchMicroseconds(halfFull(), oneCore) }),
        ("whole node", "match 1 whole node (1,024 nodes, half full)", { matchMicroseconds(halfFull(), wholeNode) }),
        ("1 core loaded", "match 1 core (10,240 nodes, 1,000 excl + 10,000 jobs)", { matchMicroseconds(loadedGraph(), oneCore) }),
        ("1 core reserved", "match 1 core past 1,000 reserved nodes (as above)", {
            matchMicroseconds(reservedGraph(), ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, duration: 3600), rounds: 2000)
        }),
        // RFC 31 constraints: the constraint is evaluated to a node bitset for each match.
        ("1 core hostlist", "match 1 core, --requires=host:node[9000-9039] (loaded)", {
            let hosts = try! Hostlist(parsing: "node[9000-9039]")
            return matchMicroseconds(loadedGraph(), ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, duration: 60,
                                                                     constraint: .hostlist(hosts)))
        }),
        ("1 core or-not", "match 1 core, rank:5000-5999|-rank:0-10000 (loaded)", {
            let constraint = JobConstraint.or([.ranks(IDSet(range: 5000...5999)), .not([.ranks(IDSet(range: 0...10_000))])])
            return matchMicroseconds(loadedGraph(), ResourceRequest(nnodes: nil, nslots: 1, coresPerSlot: 1, duration: 60,
                                                                     constraint: constraint))
        }),
    ]
    for (key, label, measure) in matches {
        all.append(Benchmark(group: "sched", name: "\(label) p50") {
            BenchFigure(name: "\(label) p50", value: cache.pair(key, measure).0, unit: "us")
        })
        all.append(Benchmark(group: "sched", name: "\(label) p99") {
            BenchFigure(name: "\(label) p99", value: cache.pair(key, measure).1, unit: "us")
        })
    }
    all.append(Benchmark(group: "sched", name: "earliest start 9,240 whole nodes (10,000 jobs running)") {
        let graph = loadedGraph()
        let request = ResourceRequest(nnodes: 10_240 - 1000, nslots: 10_240 - 1000, coresPerSlot: 64, exclusive: true, duration: 60)
        var times: [Double] = []
        for _ in 0..<21 {
            let start = monotonicSeconds()
            precondition(graph.earliestStart(request, now: 100, policy: .firstFit) != nil)
            times.append(monotonicSeconds() - start)
        }
        times.sort()
        return BenchFigure(name: "earliest start, 9,240 whole nodes (10,000 jobs running)", value: times[10] * 1e3, unit: "ms")
    })
    all.append(Benchmark(group: "sched", name: "allocate 1 core until full") {
        var graph = ResourceGraph(schedCluster(1024))
        let total = 1024 * 64
        let start = monotonicSeconds()
        for job in 0..<total { precondition(graph.allocate(JobID(UInt64(job)), oneCore, now: 0, policy: .firstFit) != nil) }
        let rate = Double(total) / (monotonicSeconds() - start)
        return BenchFigure(name: "allocate 1-core jobs until full (1,024 nodes)", value: rate, unit: "allocs/s")
    })
    all.append(Benchmark(group: "sched", name: "free/allocate cycling") {
        var graph = ResourceGraph(schedCluster(1024))
        let total = 1024 * 64
        for job in 0..<total { _ = graph.allocate(JobID(UInt64(job)), oneCore, now: 0, policy: .firstFit) }
        var rng = UInt64(12345)
        var next = UInt64(total)
        var running = Array(0..<UInt64(total))
        let cycles = 100_000
        let start = monotonicSeconds()
        for _ in 0..<cycles {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let slot = Int((rng >> 33) % UInt64(total))
            graph.free(JobID(running[slot]))
            precondition(graph.allocate(JobID(next), oneCore, now: 0, policy: .firstFit) != nil)
            running[slot] = next
            next += 1
        }
        let rate = Double(cycles) / (monotonicSeconds() - start)
        return BenchFigure(name: "free + allocate 1 core cycling (1,024 nodes full)", value: rate, unit: "cycles/s")
    })
    return all
}
