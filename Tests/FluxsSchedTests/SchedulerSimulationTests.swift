// Tests of the simulator: the same workload and policies give the same outcome, the
// synthetic generator is deterministic per seed, and every policy finishes the fixture.
import FluxsFormats
import Testing
@testable import FluxsSched

@Suite struct SchedulerSimulationTests {
    /// A fake clock that advances one microsecond per reading.
    private final class TickClock: @unchecked Sendable {
        var now = 0.0
        func read() -> Double {
            now += 1e-6
            return now
        }
    }

    private func run(_ jobs: [SimulatedJob], policy: QueuePolicy, nodes: Int = 2, cores: Int = 32) -> SimulationReport {
        var simulation = SchedulerSimulation(scheduler: Scheduler(resources: machine(nodes: nodes, cores: cores), queuePolicy: policy),
                                             jobs: jobs)
        let clock = TickClock()
        return simulation.run(clock: clock.read)
    }

    private func fixtureJobs() throws -> [SimulatedJob] {
        try SWFTrace(parsing: try fixtureText("tiny.swf")).jobs.compactMap(\.simulatedJob)
    }

    @Test(arguments: [QueuePolicy.fcfs, .easy, .hybrid(reservationDepth: 3), .conservative])
    func theFixtureGivesTheSameNumbersTwice(policy: QueuePolicy) throws {
        let jobs = try fixtureJobs()
        #expect(jobs.count == 49)
        let first = run(jobs, policy: policy), second = run(jobs, policy: policy)
        #expect(first.outcome == second.outcome)
        #expect(first.outcome.jobs == 49)
        #expect(first.outcome.unfinished == 0)
        #expect(first.outcome.utilization > 0 && first.outcome.utilization <= 1)
        #expect(first.outcome.waitP50 <= first.outcome.waitP90 && first.outcome.waitP90 <= first.outcome.waitP99)
        #expect(first.cost.passes > 0 && first.cost.jobsPerSecond > 0)
    }

    @Test func backfillDoesNotLengthenTheFixtureRun() throws {
        let jobs = try fixtureJobs()
        let fcfs = run(jobs, policy: .fcfs).outcome, easy = run(jobs, policy: .easy).outcome
        #expect(easy.waitP50 <= fcfs.waitP50)
        // Every job starts no earlier than it was submitted.
        for job in jobs { #expect((easy.startTimes[job.id] ?? -1) >= job.submitTime) }
    }

    @Test func theSyntheticWorkloadIsDeterministicPerSeed() {
        let workload = SyntheticWorkload(nodes: 8, coresPerNode: 16)
        let a = workload.jobs(count: 300, seed: 42), b = workload.jobs(count: 300, seed: 42)
        #expect(a == b)
        #expect(a != workload.jobs(count: 300, seed: 43))
        #expect(a.map(\.id.value) == Array(1...300))
        #expect(a.allSatisfy { $0.runTime <= $0.request.duration && $0.request.duration > 0 })
        let report = run(a, policy: .easy, nodes: 8, cores: 16)
        #expect(report.outcome == run(a, policy: .easy, nodes: 8, cores: 16).outcome)
        #expect(report.outcome.jobs == 300)
    }
}
