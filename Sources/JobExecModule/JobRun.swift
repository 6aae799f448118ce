// Rank 0's record of one job being run, as a state machine: its shells' reports go in,
// the reports for the job manager come out (start once every shell runs; an exception
// for each shell that fails; finish, with the worst status of all, once every shell
// has ended). No I/O here: JobExecModule performs what it returns.
import FluxsFormats
import FluxsMessage
import FluxsProtocol

/// A job in the hands of job-exec on rank 0.
struct JobRun {
    let id: JobID
    let ranks: [UInt32]
    private(set) var started: Set<UInt32> = []
    private(set) var ended: Set<UInt32> = []
    /// The worst status of the shells that ended so far.
    private(set) var status: ExitStatus = .exited(0)
    private(set) var announcedStart = false
    /// True once finish was reported: nothing more comes out.
    private(set) var finished = false

    /// What happens to the job.
    enum Input: Equatable {
        /// The shell of a rank runs.
        case shellStarted(UInt32)
        /// The shell of a rank ended (or could not be launched, with an error).
        case shellEnded(UInt32, ExitStatus, error: String?)
        /// The job cannot be launched at all.
        case failed(note: String)
        /// A test-mode job ended (its run duration passed, or it was signaled).
        case testEnded(ExitStatus)
    }

    init(id: JobID, ranks: [UInt32]) {
        self.id = id
        self.ranks = ranks
    }

    /// Takes one input; returns the reports to send, in order.
    mutating func on(_ input: Input) -> [ExecReport] {
        guard !finished else { return [] }
        var reports: [ExecReport] = []
        switch input {
        case .shellStarted(let rank):
            started.insert(rank)
        case .shellEnded(let rank, let shellStatus, let error):
            if let error, !error.isEmpty { reports.append(.exception(note: error)) }
            started.insert(rank)
            ended.insert(rank)
            status = status.worse(shellStatus)
        case .failed(let note):
            reports.append(.exception(note: note))
            ended = Set(ranks)
            status = status.worse(.exited(1))
        case .testEnded(let end):
            ended = Set(ranks)
            status = end
        }
        if !announcedStart, started.count == ranks.count || ended.count == ranks.count {
            announcedStart = true
            reports.append(.start)
        }
        if ended.count == ranks.count {
            finished = true
            reports.append(.finish(status))
        }
        return reports
    }

    /// Whether the shell of `rank` may still be running (it is worth a signal).
    func mayRun(_ rank: UInt32) -> Bool { !ended.contains(rank) }

    /// Test mode: start at once.
    mutating func startTestMode() -> [ExecReport] {
        guard !announcedStart else { return [] }
        announcedStart = true
        return [.start]
    }
}
