// A history that scales (M15): N test-mode jobs through one instance of 1,024 fake
// cores with no purge, then what the broker holds per inactive job (RSS growth over
// N, the kvs module's archive of inactive jobs settled), how long `fluxs jobs -a`
// takes to print its first page (1,000 jobs), and `fluxs job info` of an archived job
// (read back from disk). Scaled down to 50,000 jobs for time; the closing note of M15
// quotes 1,000,000.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func historyBenchmarks() -> [Benchmark] {
    let count = 50_000
    let figures: [(figure: String, label: String, unit: String)] = [
        ("rss", "broker memory per inactive job, 50,000 jobs kept", "bytes"),
        ("list", "fluxs jobs -a (first 1,000 of 50,000 jobs, median of 5)", "ms"),
        ("info", "fluxs job info of an archived job (median of 5)", "ms"),
    ]
    return figures.map { item in
        Benchmark(group: "history", name: item.figure) {
            let out = try runInFakeNode([ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "history-\(item.figure)", String(count)])
            return BenchFigure(name: item.label, value: try lastNumber(out), unit: item.unit)
        }
    }
}

/// The history probes (run inside an instance by `fluxs-bench --probe`).
func runHistoryProbe(_ name: String, _ args: [String], handle: FluxsHandle) throws -> Double {
    let fluxs = ProcessEnvironment.besideMe("fluxs")
    let count = Int(args.first ?? "50000") ?? 50_000
    let pid = try handle.rpc(.attr.get, ["name": "broker.pid"])["value"]?.stringValue ?? ""
    let before = residentKilobytes(pid)
    _ = try runCapture([fluxs, "submit", "--quiet", "--setattr=system.exec.test.run_duration=0", "--cc=1-\(count)", "--wait", "true"])
    // The last archive writes finish on the KVS's worker thread after the jobs end.
    let deadline = monotonicSeconds() + 60
    while try handle.rpc(.module.stats, ["name": "kvs"])["inactive-archived"]?.intValue ?? 0 < count - 1000 {
        guard monotonicSeconds() < deadline else { throw ServiceError(ETIMEDOUT, "the archive did not settle") }
        usleep(20_000)
    }
    switch name {
    case "history-rss":
        return (residentKilobytes(pid) - before) * 1024 / Double(count)
    case "history-list":
        return try medianMilliseconds(rounds: 5) { _ = try runCapture([fluxs, "jobs", "-a"]) }
    case "history-info":
        let oldest = try runCapture([fluxs, "jobs", "-a", "-c0", "-no", "{id}"]).split(separator: "\n").suffix(5)
        var ids = Array(oldest.map(String.init))
        return try medianMilliseconds(rounds: 5) { _ = try runCapture([fluxs, "job", "info", ids.removeLast(), "eventlog"]) }
    default:
        throw ServiceError(EINVAL, "unknown probe \(name)")
    }
}
