// Timers: a binary min-heap of deadlines on the monotonic clock. The nearest deadline
// sets epoll_wait's timeout (rounded up to a millisecond, so a timer never fires early).

/// A one-shot or periodic timer. Cancel it to stop it; a one-shot timer that fired is done.
public final class TimerWatcher {
    var deadline: Double
    let interval: Double?
    var handler: (() -> Void)?
    var heapIndex = -1

    init(deadline: Double, interval: Double?, handler: @escaping () -> Void) {
        self.deadline = deadline
        self.interval = interval
        self.handler = handler
    }

    /// Stops the timer; its handler will not run again.
    public func cancel() { handler = nil }
    /// True until the timer is cancelled or a one-shot timer has fired.
    public var isActive: Bool { handler != nil }
}

struct TimerHeap {
    private var heap: [TimerWatcher] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func insert(_ timer: TimerWatcher) {
        heap.append(timer)
        timer.heapIndex = heap.count - 1
        siftUp(heap.count - 1)
    }

    /// Milliseconds until the nearest live deadline, -1 (forever) when none.
    mutating func timeoutMilliseconds(now: Double) -> Int32 {
        while let top = heap.first, top.handler == nil { _ = popTop() }
        guard let top = heap.first else { return -1 }
        let ms = ((top.deadline - now) * 1000).rounded(.up)
        return ms <= 0 ? 0 : Int32(min(ms, 3_600_000))
    }

    /// Takes every timer whose deadline has passed (re-arming periodic ones) and returns
    /// their handlers, to be run after this mutation ends: a handler may add timers.
    mutating func takeDue(now: Double) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            _ = popTop()
            guard let handler = top.handler else { continue }
            if let interval = top.interval {
                top.deadline = max(top.deadline + interval, now)
                insert(top)
            } else {
                top.handler = nil
            }
            due.append(handler)
        }
        return due
    }

    private mutating func popTop() -> TimerWatcher {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            last.heapIndex = 0
            siftDown(0)
        }
        top.heapIndex = -1
        return top
    }

    private mutating func siftUp(_ i: Int) {
        var i = i
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ i: Int) {
        var i = i
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { break }
            swapAt(i, m)
            i = m
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].heapIndex = a
        heap[b].heapIndex = b
    }
}

extension Reactor {
    /// Calls `handler` once, `seconds` from now.
    @discardableResult
    public func after(_ seconds: Double, _ handler: @escaping () -> Void) -> TimerWatcher {
        let timer = TimerWatcher(deadline: Self.now() + max(seconds, 0), interval: nil, handler: handler)
        timers.insert(timer)
        return timer
    }

    /// Calls `handler` every `seconds`, first after `seconds`.
    @discardableResult
    public func every(_ seconds: Double, _ handler: @escaping () -> Void) -> TimerWatcher {
        let period = max(seconds, 0.001)
        let timer = TimerWatcher(deadline: Self.now() + period, interval: period, handler: handler)
        timers.insert(timer)
        return timer
    }
}
