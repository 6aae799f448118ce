// The simulator's printout: one "name  value" line per figure, virtual-time figures first,
// then the scheduler's own cost. Times under a minute print in seconds, longer ones also in
// hours; pass times print in microseconds.
import FluxsSched

/// The lines of a simulation report.
struct ReportText {
    var report: SimulationReport
    var input: SimulationInput

    var lines: [String] {
        let outcome = report.outcome, cost = report.cost
        return [
            row("workload", "\(input.source): \(input.jobs.count) jobs" + (input.skipped > 0 ? " (\(input.skipped) skipped)" : "")),
            row("machine", "\(input.machine.nnodes) nodes, \(input.machine.ncores) cores, \(input.machine.ngpus) gpus"),
            row("policy", "\(input.scheduler.queuePolicy), match \(input.scheduler.matchPolicy.rawValue), queue depth \(input.scheduler.queueDepth)"),
            row("jobs", "\(outcome.jobs) started, \(outcome.denied) denied, \(outcome.unfinished) unfinished"),
            row("makespan", duration(outcome.makespan)),
            row("utilization", fixed(outcome.utilization * 100, 1) + " %"),
            row("wait p50", duration(outcome.waitP50)),
            row("wait p90", duration(outcome.waitP90)),
            row("wait p99", duration(outcome.waitP99)),
            row("sched time", fixed(cost.seconds * 1000, 1) + " ms in \(cost.passes) passes"),
            row("pass p50", fixed(cost.passP50 * 1e6, 1) + " us"),
            row("pass p99", fixed(cost.passP99 * 1e6, 1) + " us"),
            row("throughput", "\(Int(cost.jobsPerSecond)) jobs/s of scheduler time"),
            row("first 10%", "\(Int(cost.firstTenthRate)) jobs/s"),
            row("last 10%", "\(Int(cost.lastTenthRate)) jobs/s"),
        ]
    }

    private func row(_ name: String, _ value: String) -> String {
        name + String(repeating: " ", count: max(13 - name.count, 1)) + value
    }

    private func duration(_ seconds: Double) -> String {
        seconds < 60 ? fixed(seconds, 1) + " s" : fixed(seconds, 0) + " s (" + fixed(seconds / 3600, 2) + " h)"
    }

    /// `value` with `digits` decimals.
    private func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int(scaled / scale)
        guard digits > 0 else { return String(whole) }
        let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: scale))
        let text = String(fraction)
        return (scaled < 0 && whole == 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
