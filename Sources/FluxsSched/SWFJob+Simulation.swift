// How an SWF job becomes a simulated job: its processors become slots of one core, its time
// limit is the requested time (the run time when none was requested), and it runs for its
// recorded run time, cut at the limit as a resource manager would kill it. Jobs without a
// known run time or processor count cannot be replayed and are skipped.
import FluxsFormats

extension SWFJob {
    /// The job as the simulator replays it, or nil when the trace lacks what that needs.
    public var simulatedJob: SimulatedJob? {
        guard let processors = requestedProcessors ?? allocatedProcessors, processors > 0,
              let runTime = runTime, runTime >= 0
        else { return nil }
        let limit = requestedTime.flatMap { $0 > 0 ? $0 : nil } ?? max(runTime, 1)
        return SimulatedJob(
            id: JobID(UInt64(number)), submitTime: submitTime, runTime: min(runTime, limit),
            request: ResourceRequest(nnodes: nil, nslots: processors, coresPerSlot: 1, duration: limit))
    }
}
