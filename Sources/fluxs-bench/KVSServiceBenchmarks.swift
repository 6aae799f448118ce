// Benchmarks of the kvs service through a real instance: commits per second (one key;
// 1,000 keys per transaction; with and without a statedir), gets per second on rank 0
// and on a leaf, and watch latency (commit on rank 0 to the watcher on a leaf).
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func kvsServiceBenchmarks() -> [Benchmark] {
    func probe(_ name: String, _ label: String, unit: String, statedir: Bool = false, args: [String] = []) -> Benchmark {
        Benchmark(group: "kvs-svc", name: name) {
            var argv = [ProcessEnvironment.besideMe("fluxs"), "start", "--test-size=4", "-Stbon.topo=kary:2"]
            var dir: String?
            if statedir {
                var template = Array("/tmp/fluxs-bench-state-XXXXXX".utf8CString)
                guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
                    throw ServiceError(errno, "mkdtemp")
                }
                dir = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
                argv.append("-Sstatedir=\(dir!)")
            }
            defer { if let dir { _ = try? runCapture(["/bin/rm", "-rf", dir]) } }
            argv += [ProcessEnvironment.besideMe("fluxs-bench"), "--probe", name] + args
            let out = try runCapture(argv)
            guard let value = Double(out.split(separator: "\n").last.map(String.init) ?? "") else {
                throw ServiceError(EPROTO, "probe printed \"\(out)\"")
            }
            return BenchFigure(name: label, value: value, unit: unit)
        }
    }
    return [
        probe("kvs-commit", "commits of 1 key, memory only", unit: "commits/s", args: ["1"]),
        probe("kvs-commit", "commits of 1 key, statedir (SQLite WAL)", unit: "commits/s", statedir: true, args: ["1"]),
        probe("kvs-commit", "commits of 1,000 keys, statedir", unit: "commits/s", statedir: true, args: ["1000"]),
        probe("kvs-get", "gets on rank 0", unit: "gets/s", args: ["0"]),
        probe("kvs-get", "gets on a leaf (rank 3, depth 2)", unit: "gets/s", args: ["3"]),
        probe("kvs-watch", "watch latency, commit on rank 0 to a watcher on rank 3", unit: "us"),
    ]
}

/// The kvs probes (run inside an instance by `fluxs-bench --probe`).
func runKVSProbe(_ name: String, _ args: [String], handle: FluxsHandle) throws -> Double {
    func handleOn(_ rank: UInt32) throws -> FluxsHandle {
        let uri = try handle.rpc(.attr.get, ["name": "local-uri"], nodeid: .rank(rank))["value"]?.stringValue ?? ""
        return try FluxsHandle(uri: try FluxsURI(parsing: uri))
    }
    switch name {
    case "kvs-commit":
        let keys = Int(args.first ?? "1") ?? 1
        let ops: [JSONValue] = (0..<keys).map { ["op": "put", "key": .string("bench.k\($0)"), "value": .int(Int64($0))] }
        let body: JSONValue = ["ops": .array(ops)]
        let count = keys == 1 ? 3000 : 100
        let start = monotonicSeconds()
        for _ in 0..<count { try handle.rpc(.kvs.commit, body) }
        return Double(count) / (monotonicSeconds() - start)
    case "kvs-get":
        let h = try handleOn(UInt32(args.first ?? "0") ?? 0)
        try handle.rpc(.kvs.commit, ["ops": [["op": "put", "key": "bench.get", "value": "x"]]])
        let count = 5000
        let start = monotonicSeconds()
        for _ in 0..<count { try h.rpc(.kvs.get, ["key": "bench.get"]) }
        return Double(count) / (monotonicSeconds() - start)
    case "kvs-watch":
        let leaf = try handleOn(3)
        let tag = try leaf.sendRequest(.kvs.watch, payload: (["key": "bench.watched"] as JSONValue).compactBytes, flags: .streaming)
        _ = try leaf.response(matchtag: tag, timeout: 10)
        var times: [Double] = []
        for i in 0..<200 {
            let start = monotonicSeconds()
            try handle.rpc(.kvs.commit, ["ops": [["op": "put", "key": "bench.watched", "value": .int(Int64(i))]]])
            _ = try leaf.response(matchtag: tag, timeout: 10)
            times.append(monotonicSeconds() - start)
        }
        times.sort()
        return times[times.count / 2] * 1e6
    default:
        throw ServiceError(EINVAL, "unknown probe \(name)")
    }
}
