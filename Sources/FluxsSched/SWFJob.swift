// One job of a Standard Workload Format trace (the Parallel Workloads Archive's format):
// the 18 fields of a data line, in order. SWF writes -1 for "unknown"; here that is nil, so
// no caller can mistake it for a real value.

/// One job line of an SWF trace.
public struct SWFJob: Sendable, Hashable {
    /// Field 1: the job number, counting from 1 in the trace.
    public var number: Int
    /// Field 2: submit time, seconds after the start of the trace.
    public var submitTime: Double
    /// Field 3: how long the job waited, seconds.
    public var waitTime: Double?
    /// Field 4: how long the job ran, seconds.
    public var runTime: Double?
    /// Field 5: processors the job was given.
    public var allocatedProcessors: Int?
    /// Field 6: average CPU time used per processor, seconds.
    public var averageCPUTime: Double?
    /// Field 7: memory used per processor, kilobytes.
    public var usedMemory: Double?
    /// Field 8: processors the job asked for.
    public var requestedProcessors: Int?
    /// Field 9: the run time the job asked for (its time limit), seconds.
    public var requestedTime: Double?
    /// Field 10: memory asked for per processor, kilobytes.
    public var requestedMemory: Double?
    /// Field 11: 1 completed, 0 failed, 5 cancelled (archive conventions).
    public var status: Int?
    /// Field 12: the user, numbered from 1.
    public var userID: Int?
    /// Field 13: the group, numbered from 1.
    public var groupID: Int?
    /// Field 14: the application, numbered from 1.
    public var executable: Int?
    /// Field 15: the queue, numbered from 1.
    public var queue: Int?
    /// Field 16: the partition, numbered from 1.
    public var partition: Int?
    /// Field 17: the job this one waited for.
    public var precedingJob: Int?
    /// Field 18: seconds between the end of the preceding job and this submission.
    public var thinkTime: Double?

    /// A job with the two fields every line must have; the others unknown.
    public init(number: Int, submitTime: Double) {
        self.number = number
        self.submitTime = submitTime
    }

    /// The names of the 18 fields, in order, for messages.
    public static let fieldNames = [
        "job number", "submit time", "wait time", "run time", "allocated processors", "average CPU time",
        "used memory", "requested processors", "requested time", "requested memory", "status", "user id",
        "group id", "executable", "queue", "partition", "preceding job", "think time",
    ]
}
