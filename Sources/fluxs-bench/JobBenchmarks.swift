// Benchmarks of the job pipeline in the exec test mode (no processes): submit to
// INACTIVE throughput with 1 and 8 concurrent submitters, the same through the CLI
// (`fluxs submit --cc --wait`, whole process, on 1,024 fake cores), `fluxs jobs -a` latency with
// many inactive jobs, and the job manager's memory per inactive job.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

func jobBenchmarks() -> [Benchmark] {
    func probe(_ name: String, _ label: String, unit: String, args: [String], options: [String] = []) -> Benchmark {
        Benchmark(group: "jobs", name: "\(name) \((args + options).joined(separator: " "))") {
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start"] + options
                                     + [ProcessEnvironment.besideMe("fluxs-bench"), "--probe", name] + args)
            return BenchFigure(name: label, value: try lastNumber(out), unit: unit)
        }
    }
    return [
        probe("jobs-throughput", "10,000 jobs submit to INACTIVE, 1 submitter (test mode)", unit: "jobs/s", args: ["10000", "1"]),
        probe("jobs-throughput", "10,000 jobs submit to INACTIVE, 8 submitters (test mode)", unit: "jobs/s", args: ["10000", "8"]),
        // A system instance sets purge limits: then every job's end applies them.
        probe("jobs-throughput", "10,000 jobs, 1 submitter, inactive-num-limit 2,000", unit: "jobs/s",
              args: ["10000", "1"], options: ["-Sjob-manager.inactive-num-limit=2000"]),
        Benchmark(group: "jobs", name: "fluxs submit --cc=1-20000 --wait") {
            let out = try runInFakeNode([ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "jobs-cli", "20000"])
            return BenchFigure(name: "fluxs submit --cc=1-20000 --wait (test mode, 1,024 cores)", value: try lastNumber(out), unit: "jobs/s")
        },
        probe("jobs-list", "fluxs jobs -a with 100,000 inactive jobs (median of 5)", unit: "ms", args: ["100000"]),
        probe("jobs-memory", "broker memory per inactive job (20,000 jobs)", unit: "KB", args: ["20000"]),
    ]
}

/// The job probes (run inside an instance by `fluxs-bench --probe`).
func runJobProbe(_ name: String, _ args: [String], handle: FluxsHandle) throws -> Double {
    let count = Int(args.first ?? "1000") ?? 1000
    switch name {
    case "jobs-throughput":
        let submitters = Int(args.dropFirst().first ?? "1") ?? 1
        let start = monotonicSeconds()
        // Waiting for one of the last jobs first keeps the stats polls below (each a
        // walk over every job) from competing with the pipeline. With a purge limit it
        // is still there: it is among the last to end.
        let last = try submitAll(count: count, submitters: submitters, uri: handle.uri)
        try handle.rpc(.jobManager.wait, ["id": .int(last)], timeout: 600)
        try waitAllInactive(handle, count: count)
        return Double(count) / (monotonicSeconds() - start)
    case "jobs-cli":
        // The whole process, as a user runs it: the CLI makes, submits and waits.
        let start = monotonicSeconds()
        _ = try runCapture([ProcessEnvironment.besideMe("fluxs"), "submit", "--quiet", "--setattr=system.exec.test.run_duration=0",
                            "--cc=1-\(count)", "--wait", "true"])
        return Double(count) / (monotonicSeconds() - start)
    case "jobs-list":
        try submitAll(count: count, submitters: 4, uri: handle.uri)
        try waitAllInactive(handle, count: count)
        var times: [Double] = []
        for _ in 0..<5 {
            let start = monotonicSeconds()
            _ = try runCapture([ProcessEnvironment.besideMe("fluxs"), "jobs", "-a", "-c", "0"])
            times.append(monotonicSeconds() - start)
        }
        times.sort()
        return times[2] * 1000
    case "jobs-memory":
        let pid = try handle.rpc(.attr.get, ["name": "broker.pid"])["value"]?.stringValue ?? "0"
        let before = residentKilobytes(pid)
        try submitAll(count: count, submitters: 4, uri: handle.uri)
        try waitAllInactive(handle, count: count)
        return (residentKilobytes(pid) - before) / Double(count)
    default:
        throw ServiceError(EINVAL, "unknown probe \(name)")
    }
}

private func testJobspec() -> JSONValue {
    [
        "version": 1,
        "resources": [["type": "slot", "count": 1, "label": "task", "with": [["type": "core", "count": 1]]]],
        "tasks": [["command": ["true"], "slot": "task", "count": ["per_slot": 1]]],
        "attributes": ["system": ["duration": 0, "exec": ["test": ["run_duration": 0]]]],
    ]
}

/// Submits `count` jobs from `submitters` threads; returns the id of one of the last ones.
@discardableResult
private func submitAll(count: Int, submitters: Int, uri: FluxsURI) throws -> Int64 {
    let body: JSONValue = ["jobspec": testJobspec()]
    let lastID = Atomic<Int64>(0)
    let failures = Atomic<Int>(0)
    onThreads(submitters) { index in
        guard let h = try? FluxsHandle(uri: uri) else {
            failures.add(1, ordering: .relaxed)
            return
        }
        let mine = count / submitters + (index < count % submitters ? 1 : 0)
        for _ in 0..<mine {
            guard let id = try? h.rpc(.jobManager.submit, body)["id"]?.intValue else {
                failures.add(1, ordering: .relaxed)
                return
            }
            lastID.store(id, ordering: .relaxed)
        }
    }
    if failures.load(ordering: .relaxed) > 0 { throw ServiceError(EIO, "some submissions failed") }
    return lastID.load(ordering: .relaxed)
}

private func waitAllInactive(_ handle: FluxsHandle, count: Int) throws {
    let deadline = monotonicSeconds() + 600
    while monotonicSeconds() < deadline {
        let stats = try handle.rpc(.module.stats, ["name": "job-manager"])
        if stats["active"]?.intValue == 0 { return }
        usleep(20_000)
    }
    throw ServiceError(ETIMEDOUT, "jobs did not finish")
}
