// Benchmarks of the pure formats: parse and format rates.
import FluxsFormats

func formatBenchmarks() -> [Benchmark] {
    var all: [Benchmark] = []
    // Each format's helper appends its benchmarks here, e.g.:
    // all += idsetBenchmarks()
    return all
}
