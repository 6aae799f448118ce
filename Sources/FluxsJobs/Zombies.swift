// `fluxs job wait` follows wait(2): a job that ended and was not yet waited for is a
// zombie of its owner; a wait reaps one (the one named, or the first to have ended),
// and each is reaped once. This is the bookkeeping, pure: per user, the zombies in the
// order they ended. A reap by id from the middle is remembered in `members` and the
// queue skips it later, so every operation is O(1) amortized however many jobs a user
// leaves unreaped.

import FluxsFormats

/// The jobs that ended and were not yet waited for, per user, in the order they ended.
public struct Zombies: Sendable {
    /// One user's zombies in the order they ended; entries before `head` are gone, and
    /// entries no longer in `members` were reaped by id.
    private struct Queue: Sendable {
        var ids: [JobID] = []
        var head = 0
        var live = 0
    }
    private var queues: [UInt32: Queue] = [:]
    private var members: [JobID: UInt32] = [:]

    /// No zombies.
    public init() {}

    /// The number of zombies of every user.
    public var count: Int { members.count }

    /// Job `id` of `userid` ended and nobody was waiting for it.
    public mutating func ended(_ id: JobID, userid: UInt32) {
        guard members[id] == nil else { return }
        members[id] = userid
        queues[userid, default: Queue()].ids.append(id)
        queues[userid]?.live += 1
    }

    /// True when `id` ended and was not yet waited for.
    public func contains(_ id: JobID) -> Bool { members[id] != nil }

    /// Reaps `id`; false when it is not a zombie (still running, or already reaped).
    public mutating func reap(_ id: JobID) -> Bool {
        guard let userid = members.removeValue(forKey: id) else { return false }
        queues[userid]?.live -= 1
        if queues[userid]?.live == 0 { queues[userid] = nil }
        return true
    }

    /// Reaps the zombie of `userid` that ended first, if there is one.
    public mutating func reapNext(of userid: UInt32) -> JobID? {
        guard var queue = queues.removeValue(forKey: userid) else { return nil }
        while queue.head < queue.ids.count {
            let id = queue.ids[queue.head]
            queue.head += 1
            guard members.removeValue(forKey: id) != nil else { continue }
            queue.live -= 1
            if queue.live > 0 {
                if queue.head > 64, queue.head * 2 > queue.ids.count {
                    queue.ids.removeFirst(queue.head)
                    queue.head = 0
                }
                queues[userid] = queue
            }
            return id
        }
        return nil
    }

    /// True when `userid` has a zombie left.
    public func hasZombie(of userid: UInt32) -> Bool { queues[userid] != nil }

    /// Forgets `id` (its record was purged): it can no longer be waited for.
    public mutating func forget(_ id: JobID) { _ = reap(id) }
}
