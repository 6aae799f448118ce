// Benchmarks of R version 1 (RFC 20) at the scale of a large cluster: parsing and emitting a
// 10,000-node R (64 cores and 4 gpus per node, nodelist node[0-9999]) and subtracting a
// 1-core allocation from it. Text figures include the JSON layer; the JSONValue figure does not.
import FluxsFormats

func resourceSetBenchmarks() -> [Benchmark] {
    let cores = IDSet(range: 0...63), gpus = IDSet(range: 0...3)
    let cluster = ResourceSet(nodes: (0..<10_000).map {
        ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: cores, gpus: gpus)
    })
    let json = cluster.json
    let text = json.compactText
    let allocation = ResourceSet(nodes: [ResourceSet.Node(rank: 4242, hostname: "node4242", cores: [7])])
    let scale = "10,000 nodes"
    return [
        Benchmark(group: "rset", name: "parse R text") {
            let rate = try medianRate(iterations: 50) { blackHole(try ResourceSet(parsing: text)) }
            return BenchFigure(name: "parse R text (\(scale))", value: rate, unit: "R/s")
        },
        Benchmark(group: "rset", name: "read R JSONValue") {
            let rate = try medianRate(iterations: 50) { blackHole(try ResourceSet(json: json)) }
            return BenchFigure(name: "read R from JSONValue (\(scale))", value: rate, unit: "R/s")
        },
        Benchmark(group: "rset", name: "emit R text") {
            let rate = medianRate(iterations: 50) { blackHole(cluster.json.compactText) }
            return BenchFigure(name: "emit R text (\(scale))", value: rate, unit: "R/s")
        },
        Benchmark(group: "rset", name: "subtract 1 core") {
            let rate = medianRate(iterations: 500) { blackHole(cluster.subtracting(allocation)) }
            return BenchFigure(name: "subtract 1-core allocation (\(scale))", value: rate, unit: "ops/s")
        },
    ]
}
