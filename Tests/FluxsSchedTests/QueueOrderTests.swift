// Tests of the queue order (priority, then submit time, then id) and of QueuePolicy names.
import FluxsFormats
import FluxsMessage
import Testing
@testable import FluxsSched

@Suite struct QueueOrderTests {
    private func order(_ queue: QueueOrder) -> [JobID] {
        var ids: [JobID] = []
        var index = queue.startIndex
        while let (job, next) = queue.nextLive(from: index) {
            ids.append(job.id)
            index = next
        }
        return ids
    }

    @Test func ordersByPriorityThenSubmitTimeThenID() {
        var queue = QueueOrder()
        for pending in [job(1, cores: 1, duration: 1, priority: 10, submit: 5), job(2, cores: 1, duration: 1, priority: 20, submit: 9),
                        job(3, cores: 1, duration: 1, priority: 20, submit: 1), job(5, cores: 1, duration: 1, priority: 10, submit: 5),
                        job(4, cores: 1, duration: 1, priority: 10, submit: 5)] {
            queue.insert(pending)
        }
        #expect(order(queue) == [3, 2, 1, 4, 5])
    }

    @Test func removedAndReprioritizedJobsAppearOnceInTheirNewPlace() {
        var queue = QueueOrder()
        for id in UInt64(1)...5 { queue.insert(job(id, cores: 1, duration: 1, submit: Double(id))) }
        queue.remove(2)
        var moved = queue.remove(5)!
        moved.priority = 99
        queue.insert(moved)
        // Back to the old priority: the old entry must not come back to life twice.
        moved = queue.remove(5)!
        moved.priority = 16
        queue.insert(moved)
        #expect(order(queue) == [1, 3, 4, 5])
        #expect(queue.count == 4)
    }

    @Test func tidyKeepsTheOrderAfterManyRemovals() {
        var queue = QueueOrder()
        for id in UInt64(1)...5000 { queue.insert(job(id, cores: 1, duration: 1, submit: Double(id))) }
        for id in UInt64(1)...4990 { queue.remove(JobID(id)) }
        queue.tidy()
        queue.insert(job(9999, cores: 1, duration: 1, priority: 100, submit: 0))
        #expect(order(queue) == [9999] + (UInt64(4991)...5000).map { JobID($0) })
    }
}

@Suite struct QueuePolicyTests {
    @Test(arguments: [
        ("fcfs", QueuePolicy.fcfs), ("easy", .easy), ("conservative", .conservative),
        ("hybrid:3", .hybrid(reservationDepth: 3)), ("hybrid", .hybrid(reservationDepth: 2)), ("hybrid:0", .hybrid(reservationDepth: 0)),
    ])
    func parses(text: String, policy: QueuePolicy) throws {
        #expect(try QueuePolicy(parsing: text) == policy)
    }

    @Test(arguments: ["", "EASY", "hybrid:", "hybrid:-1", "hybrid:x", "lifo"])
    func rejects(text: String) {
        #expect(throws: ServiceError(22, "queue policy \"\(text)\": expected fcfs, easy, hybrid:N or conservative")) {
            try QueuePolicy(parsing: text)
        }
    }

    @Test func reservationDepths() {
        #expect(QueuePolicy.fcfs.reservationDepth == 0)
        #expect(QueuePolicy.easy.reservationDepth == 1)
        #expect(QueuePolicy.hybrid(reservationDepth: 4).reservationDepth == 4)
        #expect(QueuePolicy.conservative.reservationDepth == .max)
        #expect(QueuePolicy.hybrid(reservationDepth: 4).description == "hybrid:4")
    }
}
