// A discrete-event simulation that drives a real Scheduler in virtual time: jobs are
// submitted at their submit times and run for their run times once allocated; after each
// batch of events at one time there is exactly one schedule(now:) pass. Virtual time makes
// the outcome (start times, waits, makespan) a pure function of the workload and the
// policies; only the scheduler's own cost is measured with the caller's wall clock, which
// is passed in so that this file stays free of I/O.
// Invariant: every scheduler call happens in nondecreasing virtual time.
import FluxsFormats

/// A job as the simulator runs it.
public struct SimulatedJob: Sendable, Hashable {
    /// The job id.
    public var id: JobID
    /// When the job is submitted (virtual seconds).
    public var submitTime: Double
    /// How long it runs once started (virtual seconds), at most its request's duration.
    public var runTime: Double
    /// What it asks for; the duration is the time limit the scheduler plans with.
    public var request: ResourceRequest
    /// Its queue priority.
    public var priority: Int64

    /// A simulated job.
    public init(id: JobID, submitTime: Double, runTime: Double, request: ResourceRequest, priority: Int64 = 16) {
        self.id = id
        self.submitTime = submitTime
        self.runTime = runTime
        self.request = request
        self.priority = priority
    }
}

/// Runs a workload through a scheduler in virtual time.
public struct SchedulerSimulation: Sendable {
    /// The scheduler under test, in its state after the run.
    public private(set) var scheduler: Scheduler
    /// The workload, in submission order.
    let jobs: [SimulatedJob]

    /// A simulation of `jobs` (in any order) on `scheduler`.
    public init(scheduler: Scheduler, jobs: [SimulatedJob]) {
        self.scheduler = scheduler
        self.jobs = jobs.sorted { ($0.submitTime, $0.id) < ($1.submitTime, $1.id) }
    }

    /// Runs every job to completion (or until nothing more can start) and reports.
    /// `clock` is a monotonic wall clock in seconds, used only to time scheduler calls.
    public mutating func run(clock: () -> Double) -> SimulationReport {
        var state = RunState(jobs: jobs)
        var now = jobs.first?.submitTime ?? 0
        while let next = nextEventTime(state, after: now) {
            now = next
            while state.nextSubmit < jobs.count && jobs[state.nextSubmit].submitTime <= now {
                let job = jobs[state.nextSubmit]
                state.nextSubmit += 1
                let decisions = state.timed(clock) {
                    scheduler.submit(PendingJob(id: job.id, priority: job.priority, submitTime: job.submitTime, request: job.request))
                }
                if !decisions.isEmpty { state.denied += 1 }
            }
            while let ending = state.completions.popFirst(notAfter: now) {
                state.timed(clock) { scheduler.free(ending.job) }
                state.lastEnd = max(state.lastEnd, ending.time)
            }
            let start = clock()
            let decisions = scheduler.schedule(now: now)
            let elapsed = clock() - start
            state.schedulerSeconds += elapsed
            state.passSeconds.append(elapsed)
            for case .allocate(let id, let R) in decisions {
                state.started(id, R: R, now: now)
            }
        }
        return state.report(unfinished: scheduler.pendingCount, totalCores: scheduler.totalCores)
    }

    /// The time of the next submission, completion or reservation wake-up, or nil when the
    /// run is over.
    private func nextEventTime(_ state: RunState, after now: Double) -> Double? {
        var next = Double.infinity
        if state.nextSubmit < jobs.count { next = jobs[state.nextSubmit].submitTime }
        if let ending = state.completions.first { next = min(next, ending.time) }
        if let wakeup = scheduler.nextWakeup, wakeup > now { next = min(next, wakeup) }
        return next.isFinite ? next : nil
    }
}
