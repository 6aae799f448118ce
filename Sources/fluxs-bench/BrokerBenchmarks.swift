// Benchmarks of the messaging core against a real fluxs-broker (started beside this
// program, with no initial program): local RPC round-trip latency and RPC throughput
// with 1 and 8 concurrent clients.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A fluxs-broker process for the duration of one benchmark.
final class BenchBroker {
    let uri: FluxsURI
    let pid: pid_t
    let rundir: String

    init() throws {
        var template = Array("/tmp/fluxs-bench-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ServiceError(errno, "mkdtemp")
        }
        rundir = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let broker = ProcessEnvironment.besideMe("fluxs-broker")
        pid = try ProcessSpawner.spawn(SpawnRequest(
            argv: [broker, "-Srundir=\(rundir)/run", "-Sbroker.rc2_none=1"],
            environment: ProcessEnvironment.current, executable: broker))
        uri = try FluxsURI(parsing: "local://\(rundir)/run/local")
        let deadline = monotonicSeconds() + 10
        while access("\(rundir)/run/local", F_OK) != 0 {
            guard monotonicSeconds() < deadline else { throw ServiceError(ETIMEDOUT, "broker did not start") }
            usleep(1000)
        }
    }

    deinit {
        if let handle = try? FluxsHandle(uri: uri) { _ = try? handle.rpc(.broker.shutdown) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        rmdir("\(rundir)/run")
        rmdir(rundir)
    }

}

/// Runs `body` on `count` threads at once and waits for all of them.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Job: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) { self.body = body; self.index = index }
    }
    var threads: [pthread_t] = []
    for i in 0..<count {
        var t = pthread_t()
        pthread_create(&t, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            job.body(job.index)
            return nil
        }, Unmanaged.passRetained(Job(body, i)).toOpaque())
        threads.append(t)
    }
    for t in threads { pthread_join(t, nil) }
}

func brokerBenchmarks() -> [Benchmark] {
    [
        Benchmark(group: "broker", name: "ping latency") {
            let broker = try BenchBroker()
            let handle = try FluxsHandle(uri: broker.uri)
            for _ in 0..<1000 { try handle.rpc(.broker.ping) }
            var times: [Double] = []
            times.reserveCapacity(10_000)
            for _ in 0..<10_000 {
                let start = monotonicSeconds()
                try handle.rpc(.broker.ping)
                times.append(monotonicSeconds() - start)
            }
            times.sort()
            return BenchFigure(name: "local ping round trip, median of 10,000 (p99 \(formatFigure(times[9900] * 1e6)) us)",
                               value: times[5000] * 1e6, unit: "us")
        },
        rpcThroughput(clients: 1),
        rpcThroughput(clients: 8),
    ]
}

private func rpcThroughput(clients: Int) -> Benchmark {
    Benchmark(group: "broker", name: "rpc throughput \(clients)") {
        let broker = try BenchBroker()
        let uri = broker.uri
        let total = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let seconds = 2.0
        onThreads(clients) { _ in
            guard let handle = try? FluxsHandle(uri: uri) else {
                failures.add(1, ordering: .relaxed)
                return
            }
            let end = monotonicSeconds() + seconds
            var done = 0
            while monotonicSeconds() < end {
                do { try handle.rpc(.broker.ping) } catch {
                    failures.add(1, ordering: .relaxed)
                    return
                }
                done += 1
            }
            total.add(done, ordering: .relaxed)
        }
        if failures.load(ordering: .relaxed) > 0 { throw ServiceError(EIO, "\(failures.load(ordering: .relaxed)) clients failed") }
        return BenchFigure(name: "rpc throughput, \(clients) client\(clients == 1 ? "" : "s") (broker.ping)",
                           value: Double(total.load(ordering: .relaxed)) / seconds, unit: "rpc/s")
    }
}
