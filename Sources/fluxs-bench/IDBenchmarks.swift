// Benchmarks of job ids (F58 encode and parse, FLUID generation) and eventlog parsing.
import FluxsFormats

func idBenchmarks() -> [Benchmark] {
    [
        Benchmark(group: "ids", name: "jobid f58 encode") {
            var value: UInt64 = 6_731_191_091_817_518
            let rate = medianRate(iterations: 500_000) {
                value &+= 0x1_0000_0401
                blackHole(JobID(value).formatted(.f58))
            }
            return BenchFigure(name: "jobid f58 encode", value: rate, unit: "ops/s")
        },
        Benchmark(group: "ids", name: "jobid f58 parse") {
            let texts = (0..<1024).map { JobID(6_731_191_091_817_518 &+ UInt64($0) &* 0x1_0000_0401).description }
            var index = 0
            let rate = try medianRate(iterations: 500_000) {
                index = (index + 1) & 1023
                blackHole(try JobID(parsing: texts[index]))
            }
            return BenchFigure(name: "jobid f58 parse", value: rate, unit: "ops/s")
        },
        Benchmark(group: "ids", name: "FLUID generate") {
            var generator = try FLUIDGenerator(generatorID: 42)
            var now: UInt64 = 0
            let rate = medianRate(iterations: 1_000_000) {
                now += 1
                blackHole(generator.next(nowMilliseconds: now / 100))
            }
            return BenchFigure(name: "FLUID generate", value: rate, unit: "ops/s")
        },
        Benchmark(group: "ids", name: "eventlog parse (10-entry log)") {
            let names = ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]
            let log = Eventlog.format(names.enumerated().map { index, name in
                EventlogEntry(timestamp: 1_700_000_000.123456 + Double(index) * 0.25, name: name,
                              context: index % 2 == 0 ? ["userid": 5588, "urgency": 16, "note": "rank0/core[0-1]"] : nil)
            })
            let logsPerSecond = try medianRate(iterations: 2_000) { blackHole(try Eventlog.parse(log)) }
            return BenchFigure(name: "eventlog parse (10-entry log)", value: logsPerSecond * 10, unit: "entries/s")
        },
    ]
}
