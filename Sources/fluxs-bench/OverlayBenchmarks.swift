// Benchmarks of multi-broker instances: start-up wall time, ping round trips by depth,
// event fan-out to every rank, and resident memory per broker. Measurements inside an
// instance run as `fluxs-bench --probe NAME ...`, the instance's initial program, which
// prints one number.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func overlayBenchmarks() -> [Benchmark] {
    var all: [Benchmark] = []
    // The overlay is CURVE by default; the "plain" twins show what that costs.
    for (size, curve) in [(1, true), (4, true), (16, true), (64, true), (64, false)] {
        let off = curve ? [] : ["-Stbon.curve=off"]
        all.append(Benchmark(group: "overlay", name: "start \(size)\(curve ? "" : " plain")") {
            var times: [Double] = []
            for _ in 0..<5 {
                let start = monotonicSeconds()
                _ = try runCapture([fluxsPath(), "start", "--test-size=\(size)"] + off + ["true"])
                times.append(monotonicSeconds() - start)
            }
            times.sort()
            return BenchFigure(name: "fluxs start --test-size=\(size) true\(curve ? "" : ", no CURVE") (median of 5)",
                               value: times[2] * 1000, unit: "ms")
        })
    }
    for (rank, depth, curve) in [(0, 0, true), (3, 2, true), (7, 3, true), (15, 4, true), (15, 4, false)] {
        let off = curve ? [] : ["-Stbon.curve=off"]
        all.append(Benchmark(group: "overlay", name: "ping depth \(depth)\(curve ? "" : " plain")") {
            let out = try runCapture([fluxsPath(), "start", "--test-size=16", "-Stbon.topo=kary:2"] + off +
                                     [ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "ping", String(rank)])
            return BenchFigure(name: "ping to rank \(rank) (depth \(depth), kary:2 of 16)\(curve ? "" : ", no CURVE"), median",
                               value: try number(out), unit: "us")
        })
    }
    all.append(Benchmark(group: "overlay", name: "event fanout 64") {
        let out = try runCapture([fluxsPath(), "start", "--test-size=64", ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "fanout"])
        return BenchFigure(name: "one event to all 64 ranks (kary:32), median of 20", value: try number(out), unit: "us")
    })
    all.append(Benchmark(group: "overlay", name: "rss 16") {
        let out = try runCapture([fluxsPath(), "start", "--test-size=16", ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "rss"])
        return BenchFigure(name: "resident memory per broker (size 16)", value: try number(out) / 1024, unit: "MB")
    })
    return all
}

/// The probes run inside an instance; each prints one number.
func runProbe(_ args: [String]) throws -> Double {
    let handle = try FluxsHandle()
    let size = Int(try handle.rpc(.attr.get, ["name": "size"])["value"]?.stringValue ?? "1") ?? 1
    switch args.first {
    case "ping":
        let rank = UInt32(args.dropFirst().first ?? "0") ?? 0
        for _ in 0..<200 { try handle.rpc(.broker.ping, nodeid: .rank(rank)) }
        var times: [Double] = []
        for _ in 0..<2000 {
            let start = monotonicSeconds()
            try handle.rpc(.broker.ping, nodeid: .rank(rank))
            times.append(monotonicSeconds() - start)
        }
        times.sort()
        return times[times.count / 2] * 1e6
    case "fanout":
        var handles: [FluxsHandle] = []
        for r in 0..<size {
            let uri = try handle.rpc(.attr.get, ["name": "local-uri"], nodeid: .rank(UInt32(r)))["value"]?.stringValue ?? ""
            let h = try FluxsHandle(uri: try FluxsURI(parsing: uri))
            try h.subscribe("bench.")
            handles.append(h)
        }
        var times: [Double] = []
        for _ in 0..<20 {
            let start = monotonicSeconds()
            try handle.publish("bench.fanout")
            for h in handles { _ = try h.nextEvent(timeout: 10) }
            times.append(monotonicSeconds() - start)
        }
        times.sort()
        return times[times.count / 2] * 1e6
    case "rss":
        var total = 0.0
        for r in 0..<size {
            let pid = try handle.rpc(.attr.get, ["name": "broker.pid"], nodeid: .rank(UInt32(r)))["value"]?.stringValue ?? ""
            total += residentKilobytes(pid)
        }
        return total / Double(size)
    case let name? where name.hasPrefix("kvs-"):
        return try runKVSProbe(name, Array(args.dropFirst()), handle: handle)
    case let name? where name.hasPrefix("nest-"):
        return try runNestingProbe(name, Array(args.dropFirst()))
    case let name? where name.hasPrefix("exec-"):
        return try runExecProbe(name, Array(args.dropFirst()))
    case let name? where name.hasPrefix("history-"):
        return try runHistoryProbe(name, Array(args.dropFirst()), handle: handle)
    case let name? where name.hasPrefix("jobs-"):
        return try runJobProbe(name, Array(args.dropFirst()), handle: handle)
    case let name? where name == "r-ready" || name == "list":
        return try runResourceProbe(name, handle: handle)
    default:
        throw ServiceError(EINVAL, "unknown probe \(args)")
    }
}

/// The resident memory of process `pid`, in KB (VmRSS).
func residentKilobytes(_ pid: String) -> Double {
    guard let text = try? Descriptors.readFile("/proc/\(pid)/status") else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

private func fluxsPath() -> String { ProcessEnvironment.besideMe("fluxs") }

private func number(_ text: String) throws -> Double {
    guard let value = Double(text.split(separator: "\n").last.map(String.init) ?? "") else {
        throw ServiceError(EPROTO, "probe printed \"\(text)\"")
    }
    return value
}

/// Runs a program to its end (with `environment` added to this process's) and returns
/// its standard output; a non-zero exit throws.
func runCapture(_ argv: [String], environment: [String: String] = [:]) throws -> String {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw ServiceError(errno, "pipe") }
    let env = ProcessEnvironment.current.merging(environment) { _, added in added }
    var request = SpawnRequest(argv: argv, environment: env, executable: argv[0])
    request.fileActions = [.open(0, path: "/dev/null", flags: O_RDONLY), .duplicate(fds[1], to: 1), .close(fds[0])]
    let spawned = Result { () throws(ServiceError) in try ProcessSpawner.spawn(request) }
    close(fds[1])
    guard case .success(let pid) = spawned else {
        close(fds[0])
        throw ServiceError(ENOENT, "cannot run \(argv[0])")
    }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fds[0], &buf, buf.count)
        if n <= 0 { break }
        bytes += buf[0..<n]
    }
    close(fds[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    guard status == 0 else { throw ServiceError(EIO, "\(argv.joined(separator: " ")) failed (status \(status))") }
    return String(decoding: bytes, as: UTF8.self)
}
