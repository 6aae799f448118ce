// fluxs-bench: runs the benchmark suite and prints one table of figures.
// Usage: fluxs-bench [FILTER...]   (a benchmark runs when its "group/name" contains a filter)
#if canImport(Glibc)
import Glibc
#endif

let filters = Array(CommandLine.arguments.dropFirst())
let suite: [Benchmark] = formatBenchmarks() + brokerBenchmarks()
let selected = suite.filter { bench in
    filters.isEmpty || filters.contains { "\(bench.group)/\(bench.name)".contains($0) }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

print(pad("GROUP", 12) + pad("BENCHMARK", 44) + pad("FIGURE", 14) + "UNIT")
var failed = false
for bench in selected {
    do {
        let fig = try bench.measure()
        print(pad(bench.group, 12) + pad(fig.name, 44) + pad(formatFigure(fig.value), 14) + fig.unit)
    } catch {
        failed = true
        print(pad(bench.group, 12) + pad(bench.name, 44) + "error: \(error)")
    }
}
if failed { exit(1) }
