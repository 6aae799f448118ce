// The benchmark harness behind `make bench`: each benchmark is a named closure that
// returns one figure; main runs the selected ones and prints a table.
// Figures are medians over several rounds so that one noisy round does not decide.
#if canImport(Glibc)
import Glibc
#endif

/// One figure in the benchmark table.
struct BenchFigure {
    var name: String
    var value: Double
    var unit: String
}

/// A benchmark: a group (shown in the table), a name and a closure that measures.
struct Benchmark {
    var group: String
    var name: String
    var measure: () throws -> BenchFigure
}

/// Monotonic clock in seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs `body` `iterations` times per round for `rounds` rounds and returns the median
/// rate in operations per second.
func medianRate(iterations: Int, rounds: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var rates: [Double] = []
    for _ in 0..<rounds {
        let start = monotonicSeconds()
        for _ in 0..<iterations { try body() }
        let elapsed = monotonicSeconds() - start
        rates.append(Double(iterations) / max(elapsed, 1e-9))
    }
    rates.sort()
    return rates[rates.count / 2]
}

/// Runs `body` once per round and returns the median duration in milliseconds.
func medianMilliseconds(rounds: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<rounds {
        let start = monotonicSeconds()
        try body()
        times.append((monotonicSeconds() - start) * 1000)
    }
    times.sort()
    return times[times.count / 2]
}

/// Keeps the optimizer from removing work whose result is otherwise unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Formats a figure with at most three significant decimals and thousands kept readable.
func formatFigure(_ value: Double) -> String {
    if value >= 1000 { return String(Int(value.rounded())) }
    if value >= 10 { return String(Double(Int(value * 10)) / 10) }
    return String(Double(Int(value * 1000)) / 1000)
}
