// The one way a value that is not Sendable crosses between the loop's thread and a
// Worker: a module's completion closure goes to the worker with the job and comes back
// to run on the loop; a database opened on the loop is used only by its worker. The
// box makes no thread safe by itself: it holds a value that one thread at a time uses,
// and the code that hands it over (Worker.post, ReactorWaker.post) orders the uses.

/// A value handed between the loop's thread and a worker, used by one at a time.
public final class LoopBound<Value>: @unchecked Sendable {
    /// The value (use it on the thread that owns it now).
    public let value: Value

    public init(_ value: Value) { self.value = value }
}

extension Worker {
    /// Runs `job` on the worker's thread, then `done` with its result on the loop that
    /// `waker` wakes.
    public func run<Result: Sendable>(_ job: @escaping @Sendable () -> Result, then waker: ReactorWaker,
                                      _ done: @escaping (Result) -> Void) {
        let back = LoopBound(done)
        post {
            let result = job()
            waker.post { back.value(result) }
        }
    }
}
