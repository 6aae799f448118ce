// Benchmarks of the scheduler's queue side (FluxsSched Scheduler): one scheduling pass over
// 100,000 pending jobs on a 1,024-node machine (32 cores per node) whose nodes are nearly all
// held by running jobs, under fcfs, EASY and hybrid; and a simulated run of a synthetic trace
// of 100,000 jobs, reported as jobs started per second of scheduler work, overall and for
// the first and last tenth of the jobs (close figures mean no slowdown as the run goes on).
// A "pass after a free" is the steady-state case: one running job ends early, so the pass
// walks the queue from the head and rebuilds the reservations.
import FluxsFormats
import FluxsSched

func schedQueueBenchmarks() -> [Benchmark] {
    let simulation = SimulationRun()
    var benchmarks: [Benchmark] = []
    for (policy, depth) in [(QueuePolicy.fcfs, 100_000), (.easy, 100_000), (.hybrid(reservationDepth: 4), 100_000), (.easy, 1000)] {
        benchmarks.append(Benchmark(group: "sched", name: "pass \(policy) depth \(depth)") {
            let ms = medianPassMilliseconds(policy: policy, depth: depth)
            return BenchFigure(name: "pass after a free, 100,000 pending, \(policy), depth \(depth)", value: ms, unit: "ms")
        })
    }
    benchmarks += [
        Benchmark(group: "sched", name: "simulated throughput") {
            BenchFigure(name: "simulate 100,000 synthetic jobs, easy (scheduler work)",
                        value: simulation.report.cost.jobsPerSecond, unit: "jobs/s")
        },
        Benchmark(group: "sched", name: "simulated first 10%") {
            BenchFigure(name: "  first 10% of jobs", value: simulation.report.cost.firstTenthRate, unit: "jobs/s")
        },
        Benchmark(group: "sched", name: "simulated last 10%") {
            BenchFigure(name: "  last 10% of jobs", value: simulation.report.cost.lastTenthRate, unit: "jobs/s")
        },
    ]
    return benchmarks
}

/// The 1,024-node machine of these benchmarks.
private let benchMachine = ResourceSet(nodes: (0..<1024).map {
    ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: IDSet(range: 0...31))
})

/// The median over three rounds of one pass after a running job ends, each round on a
/// freshly built scheduler (building is not timed).
private func medianPassMilliseconds(policy: QueuePolicy, depth: Int) -> Double {
    var times: [Double] = []
    for _ in 0..<3 {
        var scheduler = loadedScheduler(policy: policy, depth: depth)
        scheduler.free(1)
        let start = monotonicSeconds()
        blackHole(scheduler.schedule(now: 10))
        times.append((monotonicSeconds() - start) * 1000)
    }
    return times.sorted()[1]
}

/// A scheduler with 2,000 running 16-core jobs (1,000 nodes full, 24 idle) and 100,000
/// synthetic jobs pending, after its first pass.
private func loadedScheduler(policy: QueuePolicy, depth: Int) -> Scheduler {
    var scheduler = Scheduler(resources: benchMachine, queuePolicy: policy, queueDepth: depth)
    for id in UInt64(1)...2000 {
        _ = scheduler.submit(PendingJob(id: JobID(id), priority: 100, submitTime: 0, request: ResourceRequest(
            nnodes: nil, nslots: 16, coresPerSlot: 1, duration: 3600 + Double(id))))
    }
    _ = scheduler.schedule(now: 0)
    for job in SyntheticWorkload(nodes: 1024, coresPerNode: 32).jobs(count: 100_000, seed: 7) {
        _ = scheduler.submit(PendingJob(id: JobID(job.id.value + 10_000), submitTime: 1, request: job.request))
    }
    _ = scheduler.schedule(now: 1)
    return scheduler
}

/// One simulated run of 100,000 synthetic jobs under EASY, made on first use and shared
/// by the three figures that report it.
private final class SimulationRun {
    lazy var report: SimulationReport = {
        let workload = SyntheticWorkload(nodes: 1024, coresPerNode: 32).jobs(count: 100_000, seed: 1)
        var simulation = SchedulerSimulation(scheduler: Scheduler(resources: benchMachine, queuePolicy: .easy), jobs: workload)
        return simulation.run(clock: monotonicSeconds)
    }()
}
