// The job shell's decisions, as a state machine: its tasks starting, failing to start
// and exiting, a PMI abort and job-exec's SIGTERM go in; what to do comes out (raise an
// exception on the job, kill the tasks, end the shell as the worst task did). No I/O:
// fluxs-shell's Shell starts the processes, watches them and performs the actions.
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The state of one shell's tasks.
public struct ShellCore: Sendable {
    /// What the shell must do.
    public enum Action: Equatable, Sendable {
        /// Raise a fatal exec exception on the job with this note (exit-on-error, PMI abort).
        case raise(note: String)
        /// Signal every task still running.
        case killTasks(Int32)
        /// Every task has ended: flush output, clean up, end with this status (or, after
        /// a PMI abort, exit with the abort's code).
        case finish(ExitStatus, abortCode: Int32?)
    }

    /// attributes.system.shell.options.exit-on-error.
    let exitOnError: Bool
    /// The job is an instance (its tasks are brokers).
    let tasksAreBrokers: Bool
    /// How the shell names itself in notes (`fluxs-shell[N]`).
    let me: String
    public private(set) var running = 0
    /// The worst end of a task so far.
    public private(set) var status: ExitStatus = .exited(0)
    /// The code a task gave PMI_Abort: the shell's exit code then.
    public private(set) var abortCode: Int32?
    /// Set when job-exec is ending the job (SIGTERM): tasks that die of it are no news.
    public private(set) var terminating = false
    public private(set) var ended = false

    public init(me: String, exitOnError: Bool, tasksAreBrokers: Bool) {
        self.me = me
        self.exitOnError = exitOnError
        self.tasksAreBrokers = tasksAreBrokers
    }

    /// A task started.
    public mutating func started() { running += 1 }

    /// A task could not start: it counts as exit code 127 (126 for a file that may not
    /// be run, `notRunnable`).
    public mutating func startFailed(notRunnable: Bool) {
        status = status.worse(.exited(notRunnable ? 126 : 127))
    }

    /// Every task was started (or failed to): with none running, the shell is done.
    public mutating func launched() -> [Action] { running == 0 ? finish() : [] }

    /// Task `rank` ended.
    public mutating func exited(rank: Int, _ end: ExitStatus) -> [Action] {
        status = status.worse(end)
        var actions: [Action] = []
        if exitOnError, !ended, !terminating, Self.isFailure(end, rank: rank) {
            // A job that is an instance cannot go on without one of its brokers.
            let note = tasksAreBrokers ? "the child instance lost its broker rank \(rank) (\(end))" : "task \(rank) \(end)"
            actions.append(.raise(note: "\(me): \(note)"))
        }
        running -= 1
        if running == 0 { actions += finish() }
        return actions
    }

    /// A task called PMI_Abort (`rank` nil: the PMI exchange failed): every task goes,
    /// and the other nodes' tasks would wait for these in vain, so the whole job ends.
    public mutating func aborted(rank: Int?, code: Int, message: String) -> [Action] {
        let exitCode = Int32(clamping: code == 0 ? 1 : code)
        if rank != nil, abortCode == nil { abortCode = exitCode }
        status = status.worse(.exited(exitCode & 0xff))
        return [.killTasks(SIGKILL), .raise(note: "\(me): \(message)")]
    }

    /// job-exec sent SIGTERM: the job is being ended.
    public mutating func terminate() { terminating = true }

    /// For exit-on-error: a task killed by a signal, or one other than rank 0 that exits
    /// non-zero (rank 0 of an instance exits with its initial program's code).
    public static func isFailure(_ status: ExitStatus, rank: Int) -> Bool {
        switch status {
        case .signaled: return true
        case .exited(let code): return code != 0 && rank != 0
        }
    }

    private mutating func finish() -> [Action] {
        guard !ended else { return [] }
        ended = true
        return [.finish(status, abortCode: abortCode)]
    }
}
