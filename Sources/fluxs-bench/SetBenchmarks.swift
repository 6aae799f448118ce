// Benchmarks of the idset (RFC 22) and hostlist (RFC 29) formats: parse and format
// rates on inputs shaped like a large cluster's (fragmented rank sets, 10,000 nodes).
import FluxsFormats

func setBenchmarks() -> [Benchmark] {
    // 1,000 ranges of three ids with gaps: "0-2,4-6,8-10,...".
    let fragmentedIDs = (0..<1000).map { "\($0 * 4)-\($0 * 4 + 2)" }.joined(separator: ",")
    // 10,000 hosts: one range, and every other node of 20,000 (10,000 brackets elements).
    let denseHosts = "node[0-9999]"
    let sparseHosts = "node[" + (0..<10_000).map { String($0 * 2) }.joined(separator: ",") + "]"
    let expandedHosts = (0..<10_000).map { "node\($0)" }

    return [
        Benchmark(group: "idset", name: "parse 1,000 ranges") {
            let rate = try medianRate(iterations: 2000) { blackHole(try IDSet(parsing: fragmentedIDs)) }
            return BenchFigure(name: "parse 1,000 ranges", value: rate, unit: "ops/s")
        },
        Benchmark(group: "idset", name: "format 1,000 ranges") {
            let set = try IDSet(parsing: fragmentedIDs)
            let rate = medianRate(iterations: 5000) { blackHole(set.description) }
            return BenchFigure(name: "format 1,000 ranges", value: rate, unit: "ops/s")
        },
        Benchmark(group: "hostlist", name: "parse node[0-9999]") {
            let rate = try medianRate(iterations: 200_000) { blackHole(try Hostlist(parsing: denseHosts)) }
            return BenchFigure(name: "parse node[0-9999]", value: rate, unit: "ops/s")
        },
        Benchmark(group: "hostlist", name: "parse 10,000 hosts, every other node") {
            let rate = try medianRate(iterations: 100) { blackHole(try Hostlist(parsing: sparseHosts)) }
            return BenchFigure(name: "parse 10,000 hosts, every other node", value: rate, unit: "ops/s")
        },
        Benchmark(group: "hostlist", name: "compress 10,000 expanded hosts") {
            let rate = medianRate(iterations: 100) { blackHole(Hostlist(expandedHosts).description) }
            return BenchFigure(name: "compress 10,000 expanded hosts", value: rate, unit: "ops/s")
        },
    ]
}
