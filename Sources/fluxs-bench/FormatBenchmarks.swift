// Benchmarks of the pure formats: parse and format rates.

/// Every format benchmark, in table order.
func formatBenchmarks() -> [Benchmark] {
    jsonBenchmarks() + setBenchmarks() + idBenchmarks() + jobspecBenchmarks() + resourceSetBenchmarks()
}
