// Benchmarks of nested instances: 2,000 small jobs through the parent alone (K = 0) or
// spread over K child instances of one node each (fluxs alloc --bg -N1), each with its
// own job manager and scheduler, in the exec test mode and with real processes; and
// the time to start a child, run one job in it and tear it down
// (`fluxs alloc -n1 fluxs run true`). Child start-up is not counted in the throughput.
// Then an ensemble: 20,000 test-mode jobs through the parent alone or K fluxs batch
// workers (1, 4, 16) on one node of 1,024 fake cores, child start-up included.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func nestingBenchmarks() -> [Benchmark] {
    func probe(_ label: String, unit: String, start: [String], args: [String]) -> Benchmark {
        Benchmark(group: "nesting", name: args.joined(separator: " ")) {
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start"] + start
                                     + [ProcessEnvironment.besideMe("fluxs-bench"), "--probe"] + args)
            return BenchFigure(name: label, value: try lastNumber(out), unit: unit)
        }
    }
    var list: [Benchmark] = []
    for mode in ["test", "real"] {
        for k in [0, 1, 2, 4] {
            let through = k == 0 ? "the parent alone" : "\(k) child instance\(k > 1 ? "s" : "")"
            list.append(probe("2,000 jobs (\(mode == "test" ? "test mode" : "true")) through \(through)", unit: "jobs/s",
                              start: ["--test-size=4"], args: ["nest-throughput", String(k), mode, "2000"]))
        }
    }
    list.append(probe("fluxs alloc -n1 fluxs run true (median of 10)", unit: "ms", start: [], args: ["nest-alloc", "10"]))
    // An ensemble as workflows run one: K fluxs batch workers, each a child instance of
    // 1,024/K of the node's fake cores that submits its share of the jobs and waits.
    // Child start-up counts. (The closing note of M15 quotes 100,000 jobs.)
    for k in [0, 1, 4, 16] {
        let through = k == 0 ? "the parent alone" : "\(k) batch worker\(k > 1 ? "s" : "")"
        list.append(Benchmark(group: "nesting", name: "ensemble \(k)") {
            let out = try runInFakeNode([ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "nest-ensemble", String(k), "20000"])
            return BenchFigure(name: "20,000 test jobs via \(through)", value: try lastNumber(out), unit: "jobs/s")
        })
    }
    return list
}

/// The nesting probes (run inside an instance by `fluxs-bench --probe`).
func runNestingProbe(_ name: String, _ args: [String]) throws -> Double {
    let fluxs = ProcessEnvironment.besideMe("fluxs")
    switch name {
    case "nest-throughput":
        let k = Int(args.first ?? "0") ?? 0
        let testMode = args.dropFirst().first == "test"
        let count = Int(args.dropFirst(2).first ?? "2000") ?? 2000
        let submit = ["submit", "--quiet"] + (testMode ? ["--setattr=system.exec.test.run_duration=0"] : [])
        if k == 0 {
            let start = monotonicSeconds()
            try runConcurrently([[fluxs] + submit + ["--cc=1-\(count)", "--wait", "true"]])
            return Double(count) / (monotonicSeconds() - start)
        }
        var children: [String] = []
        for _ in 0..<k {
            children.append(try runCapture([fluxs, "alloc", "--bg", "-N1"]).trimmingWhitespace())
        }
        defer { _ = try? runCapture([fluxs, "cancel"] + children) }
        let start = monotonicSeconds()
        try runConcurrently(children.enumerated().map { index, id in
            let share = count / k + (index < count % k ? 1 : 0)
            return [fluxs, "proxy", id, fluxs] + submit + ["--cc=1-\(share)", "--wait", "true"]
        })
        return Double(count) / (monotonicSeconds() - start)
    case "nest-ensemble":
        let k = Int(args.first ?? "0") ?? 0
        let count = Int(args.dropFirst().first ?? "20000") ?? 20000
        let submit = ["submit", "--quiet", "--setattr=system.exec.test.run_duration=0"]
        let start = monotonicSeconds()
        if k == 0 {
            try runConcurrently([[fluxs] + submit + ["--cc=1-\(count)", "--wait", "true"]])
            return Double(count) / (monotonicSeconds() - start)
        }
        var workers: [String] = []
        for index in 0..<k {
            let share = count / k + (index < count % k ? 1 : 0)
            workers.append(try runCapture([fluxs, "batch", "-N1", "-n1", "-c\(1024 / k)", "--output=none", "--wrap", fluxs]
                                          + submit + ["--cc=1-\(share)", "--wait", "true"]).trimmingWhitespace())
        }
        try runConcurrently(workers.map { [fluxs, "job", "wait", $0] })
        return Double(count) / (monotonicSeconds() - start)
    case "nest-alloc":
        let runs = Int(args.first ?? "10") ?? 10
        var times: [Double] = []
        for _ in 0...runs {
            let start = monotonicSeconds()
            _ = try runCapture([fluxs, "alloc", "-n1", fluxs, "run", "true"])
            times.append(monotonicSeconds() - start)
        }
        times.removeFirst()
        times.sort()
        return times[times.count / 2] * 1000
    default:
        throw ServiceError(EINVAL, "unknown probe \(name)")
    }
}

/// Starts every command at once (stdout to /dev/null) and waits for all; any failure throws.
private func runConcurrently(_ commands: [[String]]) throws {
    var pids: [pid_t] = []
    for argv in commands {
        var request = SpawnRequest(argv: argv, environment: ProcessEnvironment.current, executable: argv[0])
        request.fileActions = [.open(0, path: "/dev/null", flags: O_RDONLY), .open(1, path: "/dev/null", flags: O_WRONLY)]
        pids.append(try ProcessSpawner.spawn(request))
    }
    var failed = false
    for pid in pids {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if status != 0 { failed = true }
    }
    if failed { throw ServiceError(EIO, "a submitter failed") }
}

extension String {
    /// The text without leading and trailing whitespace.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
