// The single task of a version 1 jobspec (RFC 25 "Tasks"): a command run in the
// slots of one label, a fixed number per slot or a total spread over the slots.

/// The task of a validated version 1 jobspec.
public struct JobspecTask: Sendable, Hashable {
    /// How many copies of the command run.
    public enum Count: Sendable, Hashable {
        /// This many tasks in every slot (`count.per_slot`).
        case perSlot(Int)
        /// This many tasks in all, spread over the slots (`count.total`).
        case total(Int)
    }

    /// The command and its arguments (never empty).
    public var command: [String]
    /// The label of the slot the tasks run in.
    public var slot: String
    /// How many tasks run.
    public var count: Count

    /// Makes a task.
    public init(command: [String], slot: String, count: Count) {
        self.command = command
        self.slot = slot
        self.count = count
    }

    /// The number of tasks when the job has `nslots` slots in all (validation has
    /// checked that the product fits).
    func taskCount(nslots: Int) -> Int {
        switch count {
        case .perSlot(let n): n * nslots
        case .total(let n): n
        }
    }
}
