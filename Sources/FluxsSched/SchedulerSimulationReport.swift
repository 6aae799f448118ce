// What a simulation run found: the outcome in virtual time (deterministic for a given
// workload and policy) and the scheduler's cost in wall time (varies from run to run).
// Times are seconds; rates are jobs per second of scheduler wall time.
import FluxsFormats

/// The result of a SchedulerSimulation run.
public struct SimulationReport: Sendable {
    /// What happened to the jobs.
    public var outcome: SimulationOutcome
    /// What it cost the scheduler.
    public var cost: SchedulerCost
}

/// The virtual-time result of a run: the same workload and policies give the same outcome.
public struct SimulationOutcome: Sendable, Hashable {
    /// Jobs started.
    public var jobs: Int
    /// Jobs denied at submission (they could never run).
    public var denied: Int
    /// Jobs still pending when nothing more could happen.
    public var unfinished: Int
    /// From the first submission to the last completion.
    public var makespan: Double
    /// Core-seconds used over core-seconds available during the makespan, 0 through 1.
    public var utilization: Double
    /// The median wait (start minus submit), nearest rank.
    public var waitP50: Double
    /// The 90th percentile of the waits.
    public var waitP90: Double
    /// The 99th percentile of the waits.
    public var waitP99: Double
    /// The start time of every started job.
    public var startTimes: [JobID: Double]
}

/// The wall time a run spent inside the scheduler.
public struct SchedulerCost: Sendable {
    /// Total wall seconds in submit, free and schedule calls.
    public var seconds: Double
    /// How many schedule passes ran.
    public var passes: Int
    /// The median wall seconds of one pass.
    public var passP50: Double
    /// The 99th percentile of the wall seconds of one pass.
    public var passP99: Double
    /// Jobs started per second of scheduler time, overall.
    public var jobsPerSecond: Double
    /// The same rate for the first tenth of the jobs started.
    public var firstTenthRate: Double
    /// The same rate for the last tenth; close to `firstTenthRate` when the scheduler does
    /// not slow down as the run goes on.
    public var lastTenthRate: Double
}
