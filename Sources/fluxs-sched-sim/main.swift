// fluxs-sched-sim: replays a workload (an SWF trace or a seeded synthetic one) through the
// real FluxsSched Scheduler in virtual time and prints what happened and what the
// scheduler's own work cost (man/man1/fluxs-sched-sim.1).
// Error convention as for fluxs(1): a failure prints `fluxs-sched-sim: error: MESSAGE` on
// stderr and exits 1; bad usage prints the usage and exits 2.
import ArgumentParser
import FluxsSched
#if canImport(Glibc)
import Glibc
#endif

/// The simulator command.
struct SchedSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluxs-sched-sim",
        abstract: "Replay a workload through the fluxs scheduler in virtual time.",
        discussion: "Give the machine with --nodes/--cores/--gpus or --R, and the workload with --swf or --synthetic.")

    @Option(help: "Queue policy: fcfs, easy, hybrid:N or conservative.")
    var policy = "easy"
    @Option(help: "Match policy: \(MatchPolicy.allCases.map(\.rawValue).joined(separator: ", ")).")
    var match = "first"
    @Option(help: "Nodes of the machine (default: from the SWF MaxProcs header, else 128).")
    var nodes: Int?
    @Option(help: "Cores per node.")
    var cores = 32
    @Option(help: "GPUs per node.")
    var gpus = 0
    @Option(name: .customLong("R"), help: "Read the machine from an RFC 20 R file instead.")
    var rFile: String?
    @Option(help: "Replay this Standard Workload Format trace.")
    var swf: String?
    @Option(help: "Replay at most N jobs of the trace.")
    var limit: Int?
    @Option(help: "Generate N synthetic jobs instead of reading a trace.")
    var synthetic: Int?
    @Option(help: "The seed of the synthetic workload.")
    var seed: UInt64 = 1
    @Option(help: "Pending jobs considered per scheduling pass.")
    var queueDepth = 1000

    func validate() throws {
        guard (swf == nil) != (synthetic == nil) else { throw ValidationError("give exactly one of --swf and --synthetic") }
        guard nodes.map({ $0 > 0 }) ?? true, cores > 0, gpus >= 0 else {
            throw ValidationError("--nodes and --cores must be positive, --gpus not negative")
        }
        if rFile != nil && (nodes != nil || gpus != 0) { throw ValidationError("--R replaces --nodes and --gpus") }
    }

    func run() throws {
        do {
            let input = try SimulationInput(self)
            var simulation = SchedulerSimulation(scheduler: input.scheduler, jobs: input.jobs)
            let report = simulation.run(clock: monotonicSeconds)
            print(ReportText(report: report, input: input).lines.joined(separator: "\n"))
        } catch {
            writeStderr("fluxs-sched-sim: error: \(error)\n")
            throw ExitCode(1)
        }
    }
}

/// Writes `text` to standard error.
func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}

/// Monotonic wall clock in seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

do {
    var command = try SchedSim.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    if SchedSim.exitCode(for: error) == .success {  // --help
        print(SchedSim.fullMessage(for: error))
        exit(0)
    }
    writeStderr("Usage: " + SchedSim.usageString() + "\nfluxs-sched-sim: error: \(SchedSim.message(for: error))\n")
    exit(2)
}
