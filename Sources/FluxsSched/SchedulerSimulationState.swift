// The bookkeeping of one simulation run: submissions made, completions to come, start times,
// and the wall time spent inside the scheduler (overall, per pass, and up to each start, for
// the first-10% and last-10% rates). Turned into a SimulationReport at the end.
import FluxsFormats

/// The mutable state of one SchedulerSimulation run.
struct RunState {
    /// The jobs by id, for run times and submit times.
    let jobs: [JobID: SimulatedJob]
    /// How many jobs have been submitted, in submission order.
    var nextSubmit = 0
    /// Jobs running, by end time.
    var completions = CompletionHeap()
    /// Start time of each started job.
    var startTimes: [JobID: Double] = [:]
    /// Core-seconds of the jobs started.
    var coreSeconds = 0.0
    /// The latest completion seen.
    var lastEnd = 0.0
    /// Jobs denied at submission.
    var denied = 0
    /// Wall seconds inside the scheduler, overall and per schedule pass.
    var schedulerSeconds = 0.0
    var passSeconds: [Double] = []
    /// `schedulerSeconds` at each start, in start order.
    var secondsAtStart: [Double] = []

    init(jobs: [SimulatedJob]) {
        self.jobs = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
    }

    /// Runs `body`, adding its wall time to `schedulerSeconds`.
    mutating func timed<T>(_ clock: () -> Double, _ body: () -> T) -> T {
        let start = clock()
        let result = body()
        schedulerSeconds += clock() - start
        return result
    }

    /// Records that job `id` started at `now` with `R`.
    mutating func started(_ id: JobID, R: ResourceSet, now: Double) {
        guard let job = jobs[id] else { return }
        startTimes[id] = now
        completions.insert(Completion(time: now + job.runTime, job: id))
        coreSeconds += Double(R.ncores) * job.runTime
        secondsAtStart.append(schedulerSeconds)
    }

    /// The report of a finished run.
    func report(unfinished: Int, totalCores: Int) -> SimulationReport {
        let firstSubmit = jobs.values.lazy.map(\.submitTime).min() ?? 0
        let makespan = max(lastEnd - firstSubmit, 0)
        let waits = startTimes.map { id, start in start - (jobs[id]?.submitTime ?? start) }.sorted()
        let outcome = SimulationOutcome(
            jobs: startTimes.count, denied: denied, unfinished: unfinished, makespan: makespan,
            utilization: makespan > 0 && totalCores > 0 ? coreSeconds / (Double(totalCores) * makespan) : 0,
            waitP50: percentile(waits, 0.50), waitP90: percentile(waits, 0.90), waitP99: percentile(waits, 0.99),
            startTimes: startTimes)
        let passes = passSeconds.sorted()
        let tenth = max(secondsAtStart.count / 10, 1)
        let count = secondsAtStart.count
        let cost = SchedulerCost(
            seconds: schedulerSeconds, passes: passes.count,
            passP50: percentile(passes, 0.50), passP99: percentile(passes, 0.99),
            jobsPerSecond: rate(count, schedulerSeconds),
            firstTenthRate: count == 0 ? 0 : rate(tenth, secondsAtStart[tenth - 1]),
            lastTenthRate: count == 0 ? 0 : rate(tenth, schedulerSeconds - secondsAtStart[count - tenth]))
        return SimulationReport(outcome: outcome, cost: cost)
    }
}

/// The value below which a fraction `p` of the sorted `values` lie (nearest rank); 0 when empty.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// `count` per `seconds`, or 0 when no time passed.
private func rate(_ count: Int, _ seconds: Double) -> Double {
    seconds > 0 ? Double(count) / seconds : 0
}
