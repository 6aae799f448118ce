// fluxs-bench: runs the benchmark suite and prints one table of figures.
// Usage: fluxs-bench [FILTER...]   (a benchmark runs when its "group/name" contains a filter)
#if canImport(Glibc)
import Glibc
#endif

// Inside an instance: measure and print one number (see OverlayBenchmarks.swift).
if CommandLine.arguments.dropFirst().first == "--probe" {
    do {
        print(try runProbe(Array(CommandLine.arguments.dropFirst(2))))
        exit(0)
    } catch {
        print("fluxs-bench: probe failed: \(error)")
        exit(1)
    }
}

let filters = Array(CommandLine.arguments.dropFirst())
let suite: [Benchmark] = formatBenchmarks() + kvsBenchmarks() + hwlocBenchmarks() + brokerBenchmarks() + overlayBenchmarks() + kvsServiceBenchmarks() + resourceServiceBenchmarks() + schedBenchmarks() + schedQueueBenchmarks() + jobBenchmarks() + pythonBenchmarks() + execBenchmarks() + nestingBenchmarks() + historyBenchmarks() + systemBenchmarks()
let selected = suite.filter { bench in
    filters.isEmpty || filters.contains { "\(bench.group)/\(bench.name)".contains($0) }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

print(pad("GROUP", 10) + pad("BENCHMARK", 62) + pad("FIGURE", 12) + "UNIT")
var failed = false
for bench in selected {
    do {
        let fig = try bench.measure()
        print(pad(bench.group, 10) + pad(fig.name, 62) + pad(formatFigure(fig.value), 12) + fig.unit)
    } catch {
        failed = true
        print(pad(bench.group, 10) + pad(bench.name, 62) + "error: \(error)")
    }
}
if failed { exit(1) }
