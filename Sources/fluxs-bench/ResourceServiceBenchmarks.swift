// Benchmarks of the resource service through real instances: how long after start the
// instance's R is ready at size 64 (every broker discovers its node with hwloc and says
// hello to rank 0), and `fluxs resource list` on a configured R of 10,000 nodes.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func resourceServiceBenchmarks() -> [Benchmark] {
    [
        Benchmark(group: "resource", name: "R ready 64") {
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start", "--test-size=64",
                                      ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "r-ready"])
            return BenchFigure(name: "R of a size-64 instance ready, after the initial program starts",
                               value: try lastNumber(out), unit: "ms")
        },
        Benchmark(group: "resource", name: "list 10000") {
            let path = "/tmp/fluxs-bench-R-\(getpid()).json"
            let nodes = (0..<10_000).map {
                ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: IDSet(range: 0...63), gpus: IDSet(range: 0...3))
            }
            let text = ResourceSet(nodes: nodes).json.compactText
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
            close(fd)
            defer { unlink(path) }
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start", "-Sresource.path=\(path)",
                                      "-Sresource.noverify=1", ProcessEnvironment.besideMe("fluxs-bench"), "--probe", "list"])
            return BenchFigure(name: "fluxs resource list on a 10,000-node R (median of 10)", value: try lastNumber(out), unit: "ms")
        },
    ]
}

/// The resource probes (run inside an instance by `fluxs-bench --probe`).
func runResourceProbe(_ name: String, handle: FluxsHandle) throws -> Double {
    switch name {
    case "r-ready":
        let start = monotonicSeconds()
        try handle.rpc(.resource.R, timeout: 60)
        return (monotonicSeconds() - start) * 1000
    case "list":
        var times: [Double] = []
        for _ in 0..<10 {
            let start = monotonicSeconds()
            _ = try runCapture([ProcessEnvironment.besideMe("fluxs"), "resource", "list"])
            times.append(monotonicSeconds() - start)
        }
        times.sort()
        return times[times.count / 2] * 1000
    default:
        throw ServiceError(EINVAL, "unknown probe \(name)")
    }
}

func lastNumber(_ text: String) throws -> Double {
    guard let value = Double(text.split(separator: "\n").last.map(String.init) ?? "") else {
        throw ServiceError(EPROTO, "probe printed \"\(text)\"")
    }
    return value
}
