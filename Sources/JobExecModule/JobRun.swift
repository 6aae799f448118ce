// Rank 0's record of one job being run: which ranks have started and ended their
// shells, the largest exit code so far, and the timers of test mode and of a terminate.
import FluxsFormats
import FluxsMessage
import FluxsReactor

/// A job in the hands of job-exec on rank 0.
final class JobRun {
    let id: JobID
    /// The job manager's job-exec.start request, answered as things happen.
    let request: Message
    let ranks: [UInt32]
    var started: Set<UInt32> = []
    var ended: Set<UInt32> = []
    var code: Int32 = 0
    var announcedStart = false
    var testTimer: TimerWatcher?
    var killTimer: TimerWatcher?

    init(id: JobID, request: Message, ranks: [UInt32]) {
        self.id = id
        self.request = request
        self.ranks = ranks
    }

    /// True once every shell has ended.
    var finished: Bool { ended.count == ranks.count }

    func cancelTimers() {
        testTimer?.cancel()
        killTimer?.cancel()
        testTimer = nil
        killTimer = nil
    }
}
