// The simulator's pending completions as a binary min-heap on (time, job id), so that jobs
// ending at the same virtual time are freed in id order and runs are reproducible.
// Invariant: `items[i] <= items[2i+1]` and `items[i] <= items[2i+2]`.
import FluxsFormats

/// A job that ends at a virtual time.
struct Completion: Sendable, Comparable {
    var time: Double
    var job: JobID

    static func < (a: Completion, b: Completion) -> Bool { (a.time, a.job) < (b.time, b.job) }
}

/// Completions, earliest first.
struct CompletionHeap: Sendable {
    private var items: [Completion] = []

    /// The earliest completion.
    var first: Completion? { items.first }

    mutating func insert(_ item: Completion) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest completion if it is at or before `time`.
    mutating func popFirst(notAfter time: Double) -> Completion? {
        guard let top = items.first, top.time <= time else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown()
        }
        return top
    }

    private mutating func siftDown() {
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
