// A worker thread for blocking work (SQLite, hwloc): a service queues closures, the
// worker runs them in order, and results come back to the loop's thread through its
// ReactorWaker. Nothing here runs on the loop's thread but `post`.
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One background thread running jobs in order.
public final class Worker: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var thread = pthread_t()

    /// Starts the thread.
    public init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let box = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { raw in
            Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue().loop()
            return nil
        }, box.toOpaque())
    }

    /// Queues a job.
    public func post(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Runs the jobs already queued, then ends the thread; waits for it.
    public func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        pthread_join(thread, nil)
    }

    private func loop() {
        while true {
            pthread_mutex_lock(&mutex)
            while jobs.isEmpty && !stopping { pthread_cond_wait(&condition, &mutex) }
            let batch = jobs
            jobs.removeAll()
            let done = stopping && batch.isEmpty
            pthread_mutex_unlock(&mutex)
            if done { return }
            for job in batch { job() }
        }
    }
}
