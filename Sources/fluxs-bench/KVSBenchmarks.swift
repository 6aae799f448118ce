// Benchmarks of the KVS core and its SQLite store: commit rates of the pure namespace
// (1 put into a 10,000-key tree; 1,000 puts under one directory), get rate, and the
// rate of KVSDatabase.apply for 1-key commits (WAL, synchronous=NORMAL) in a temp dir.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import FluxsFormats
import FluxsKVS
import FluxsMessage
import FluxsProtocol
import KVSStore
#if canImport(Glibc)
import Glibc
#endif

func kvsBenchmarks() -> [Benchmark] {
    [
        Benchmark(group: "kvs", name: "commit 1 put (10,000-key tree)") {
            var ns = try KVSSamples.namespace()
            var i = 0
            let rate = try medianRate(iterations: 100_000) {
                i &+= 1
                blackHole(try ns.commit([.put("job.j\(i % 10_000).state", .int(Int64(i)))]))
            }
            return BenchFigure(name: "commit 1 put (10,000-key tree)", value: rate, unit: "commits/s")
        },
        Benchmark(group: "kvs", name: "commit 1,000 puts under one directory") {
            var ns = try KVSSamples.namespace()
            let ops = (0..<1000).map { KVSOperation.put("batch.k\($0)", .int(Int64($0))) }
            let rate = try medianRate(iterations: 200) { blackHole(try ns.commit(ops)) }
            return BenchFigure(name: "commit 1,000 puts under one directory", value: rate, unit: "commits/s")
        },
        Benchmark(group: "kvs", name: "get (depth 3, 10,000-key tree)") {
            let ns = try KVSSamples.namespace()
            let keys = (0..<1000).map { "job.j\($0 * 7).state" }
            var i = 0
            let rate = try medianRate(iterations: 200_000) {
                i &+= 1
                blackHole(try ns.get(keys[i % keys.count]))
            }
            return BenchFigure(name: "get (depth 3, 10,000-key tree)", value: rate, unit: "gets/s")
        },
        Benchmark(group: "kvs", name: "KVSDatabase.apply 1-key commit (WAL)") {
            var template = Array("/tmp/fluxs-bench-kvs-XXXXXX".utf8CString)
            guard let dir = mkdtemp(&template).map({ String(cString: $0) }) else {
                throw ServiceError(errno, "mkdtemp failed")
            }
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let db = try KVSDatabase(path: dir + "/kvs.sqlite")
            var ns = KVSNamespace(name: "primary", owner: 0)
            var i = 0
            let rate = try medianRate(iterations: 5_000) {
                i &+= 1
                let commit = try ns.commit([.put("job.j\(i % 1000).state", .int(Int64(i)))])
                try db.apply(namespace: ns.name, owner: ns.owner, commit: commit)
            }
            return BenchFigure(name: "KVSDatabase.apply 1-key commit (WAL)", value: rate, unit: "commits/s")
        },
    ]
}

enum KVSSamples {
    /// A namespace of 10,000 jobs, each a directory of 2 values: job.jN.{state,R}.
    static func namespace() throws(ServiceError) -> KVSNamespace {
        var ns = KVSNamespace(name: "primary", owner: 0)
        var ops: [KVSOperation] = []
        for n in 0..<10_000 {
            ops.append(.put("job.j\(n).state", "run"))
            ops.append(.put("job.j\(n).R", ["nodelist": [.string("node\(n % 64)")], "ncores": 4]))
        }
        _ = try ns.commit(ops)
        return ns
    }
}
