// Benchmarks of node discovery (FluxsHwloc): what a broker pays at startup to learn its node,
// with I/O devices (PCI and GPU plugins) and without. Each figure is the median of 10 full
// discoveries (init, configure, load, summarise, destroy), in milliseconds.
import FluxsHwloc

func hwlocBenchmarks() -> [Benchmark] {
    [
        Benchmark(group: "hwloc", name: "discover with I/O") {
            let ms = try medianMilliseconds(rounds: 10) { blackHole(try NodeInventory.discover(loadIODevices: true)) }
            return BenchFigure(name: "discover this node, with I/O devices (median of 10)", value: ms, unit: "ms")
        },
        Benchmark(group: "hwloc", name: "discover without I/O") {
            let ms = try medianMilliseconds(rounds: 10) { blackHole(try NodeInventory.discover(loadIODevices: false)) }
            return BenchFigure(name: "discover this node, without I/O devices (median of 10)", value: ms, unit: "ms")
        },
    ]
}

