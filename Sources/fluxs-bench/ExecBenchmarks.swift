// Benchmarks of real job execution: throughput of /bin/true jobs through the whole
// pipeline with a shell each (`fluxs submit --cc=1-2000 --quiet true`, then `fluxs job
// wait --all`) at test-size 1 and 4, with shells forked by the zygote or, for
// comparison, spawned (job-exec.zygote=off), the latency of `fluxs run true`, and the time to
// run a 64-task job (`fluxs run -N4 -n64 true` on four made-up 16-core nodes).
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func execBenchmarks() -> [Benchmark] {
    func probe(_ label: String, unit: String, start: [String], args: [String]) -> Benchmark {
        Benchmark(group: "exec", name: "\(args.joined(separator: " ")) \(start.joined(separator: " "))") {
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start"] + start
                                     + [ProcessEnvironment.besideMe("fluxs-bench"), "--probe"] + args)
            return BenchFigure(name: label, value: try lastNumber(out), unit: unit)
        }
    }
    return [
        probe("2,000 real jobs (true), test-size 1", unit: "jobs/s", start: [], args: ["exec-throughput", "2000"]),
        probe("2,000 real jobs (true), test-size 1, no zygote", unit: "jobs/s", start: ["-Sjob-exec.zygote=off"],
              args: ["exec-throughput", "2000"]),
        probe("2,000 real jobs (true), test-size 4", unit: "jobs/s", start: ["--test-size=4"], args: ["exec-throughput", "2000"]),
        probe("2,000 real jobs (true), test-size 4, no CURVE", unit: "jobs/s", start: ["--test-size=4", "-Stbon.curve=off"],
              args: ["exec-throughput", "2000"]),
        probe("fluxs run true (median of 50)", unit: "ms", start: [], args: ["exec-run", "50"]),
        probe("fluxs run true (median of 50), no zygote", unit: "ms", start: ["-Sjob-exec.zygote=off"], args: ["exec-run", "50"]),
        // A job's output through the KVS: twice the lines should take about twice the time.
        attachBenchmark(lines: 80_000),
        attachBenchmark(lines: 320_000),
        Benchmark(group: "exec", name: "exec-launch64") {
            let path = "/tmp/fluxs-bench-R64-\(getpid()).json"
            try writeFakeR(path, nodes: 4, cores: 16)
            defer { unlink(path) }
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start", "--test-size=4",
                                      "-Sresource.path=\(path)", "-Sresource.noverify=1",
                                      ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "exec-launch64", "20"])
            return BenchFigure(name: "fluxs run -N4 -n64 true (median of 20)", value: try lastNumber(out), unit: "ms")
        },
    ]
}

/// The exec probes (run inside an instance by `fluxs-bench --probe`).
func runExecProbe(_ name: String, _ args: [String]) throws -> Double {
    let fluxs = ProcessEnvironment.besideMe("fluxs")
    let count = Int(args.first ?? "100") ?? 100
    switch name {
    case "exec-throughput":
        let start = monotonicSeconds()
        _ = try runCapture([fluxs, "submit", "--cc=1-\(count)", "--quiet", "true"])
        // Reaps every job, those that ended before the wait began too (wait(2) semantics).
        _ = try runCapture([fluxs, "job", "wait", "--all"])
        let handle = try FluxsHandle()
        guard try handle.rpc(.module.stats, ["name": "job-manager"])["active"]?.intValue == 0 else {
            throw ServiceError(EIO, "jobs are still active after fluxs job wait --all")
        }
        return Double(count) / (monotonicSeconds() - start)
    case "exec-run":
        return try medianMilliseconds(count) { _ = try runCapture([fluxs, "run", "true"]) }
    case "exec-launch64":
        return try medianMilliseconds(count) { _ = try runCapture([fluxs, "run", "-N4", "-n64", "true"]) }
    default:
        throw ServiceError(EINVAL, "unknown probe \(name)")
    }
}

/// The median time of `runs` calls of `body`, after one warm-up call.
private func medianMilliseconds(_ runs: Int, _ body: () throws -> Void) throws -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<max(runs, 1) {
        let start = monotonicSeconds()
        try body()
        times.append(monotonicSeconds() - start)
    }
    times.sort()
    return times[times.count / 2] * 1000
}

/// An R of `nodes` ranks with `cores` cores each (for resource.path with noverify).
private func writeFakeR(_ path: String, nodes: Int, cores: Int) throws {
    let R: JSONValue = ["version": 1, "execution": [
        "R_lite": [["rank": .string("0-\(nodes - 1)"), "children": ["core": .string("0-\(cores - 1)")]]],
        "starttime": 0, "expiration": 0,
    ]]
    let bytes = R.compactBytes
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw ServiceError(errno, "cannot write \(path)") }
    defer { close(fd) }
    guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
        throw ServiceError(EIO, "cannot write \(path)")
    }
}

/// `fluxs run` of a job that writes `lines` lines of 64 bytes, one write each, attached
/// to the end (its output goes through the KVS and the attach's watch).
func attachBenchmark(lines: Int) -> Benchmark {
    Benchmark(group: "exec", name: "attach \(lines) lines") {
        let writer = "import os\nfor i in range(\(lines)): os.write(1, b'%08d' % i + b'x' * 55 + b'\\n')"
        let start = monotonicSeconds()
        _ = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start", ProcessEnvironment.besideMe("fluxs"), "run", "python3", "-c", writer])
        return BenchFigure(name: "fluxs run of a job writing \(lines / 1000)k lines, attached to its end",
                           value: monotonicSeconds() - start, unit: "s")
    }
}
