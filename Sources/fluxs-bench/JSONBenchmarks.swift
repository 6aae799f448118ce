// Benchmarks of JSON text, which every message payload goes through: parse and serialize
// rates of a message-sized object (~400 bytes) and a jobspec-sized document (~4 KB).
import FluxsFormats

func jsonBenchmarks() -> [Benchmark] {
    let documents = [("message", JSONSamples.message, 100_000), ("jobspec", JSONSamples.jobspec, 10_000)]
    return documents.flatMap { name, value, iterations in
        let bytes = value.compactBytes
        let label = "\(name) (\(bytes.count) B)"
        return [
            Benchmark(group: "json", name: "parse \(label)") {
                let rate = try medianRate(iterations: iterations) { blackHole(try JSONValue(parsing: bytes)) }
                return BenchFigure(name: "parse \(label)", value: rate, unit: "ops/s")
            },
            Benchmark(group: "json", name: "compactBytes \(label)") {
                let rate = medianRate(iterations: iterations) { blackHole(value.compactBytes) }
                return BenchFigure(name: "compactBytes \(label)", value: rate, unit: "ops/s")
            },
        ]
    }
}

/// Documents shaped like the broker's traffic.
enum JSONSamples {
    /// A job-manager request as it travels between brokers.
    static let message: JSONValue = [
        "type": "request", "topic": "job-manager.submit", "matchtag": 4711, "nodeid": -1,
        "userid": 5012, "rolemask": 5, "route": ["broker-0", "broker-3", "broker-17"],
        "payload": [
            "id": 284_392_019_394_560, "urgency": 16, "flags": 0, "t_submit": 1_732_521_600.123456,
            "name": "simulate \"run 7\"", "queue": "batch", "cwd": "/home/alice/runs/2024-11-25",
            "constraints": ["properties": ["amd", "^gpu"]], "dependencies": [],
            "annotations": ["sched": ["reason_pending": "insufficient resources", "jobs_ahead": 3]],
        ],
    ]

    /// A jobspec (RFC 14/25) with a 40-variable environment, as `fluxs submit` writes it.
    static let jobspec: JSONValue = {
        var environment: [String: JSONValue] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/mpi/bin", "HOME": "/home/alice", "SHELL": "/bin/bash",
            "LANG": "en_US.UTF-8", "TERM": "xterm-256color", "USER": "alice",
        ]
        for index in 0..<34 {
            let paths = (0...index % 8).map { "/opt/app\($0)/lib" }.joined(separator: ":")
            environment["APP_SETTING_\(index)"] = .string("\(paths) \"quoted\"\tvalue é")
        }
        let core: JSONValue = ["type": "core", "count": 4]
        let gpu: JSONValue = ["type": "gpu", "count": 1]
        let slot: JSONValue = ["type": "slot", "count": 2, "label": "task", "with": [core, gpu]]
        return [
            "version": 1,
            "resources": [["type": "node", "count": 4, "exclusive": true, "with": [slot]]],
            "tasks": [["command": ["app", "--input", "data/in.h5", "--steps", "1000"], "slot": "task",
                "count": ["per_slot": 1]]],
            "attributes": [
                "system": [
                    "duration": 3600.0, "cwd": "/home/alice/runs", "queue": "batch",
                    "environment": .object(environment),
                    "shell": ["options": ["rlimit": ["core": 0, "nofile": 4096], "cpu-affinity": "per-task"]],
                    "constraints": ["properties": ["amd"]],
                ],
                "user": ["project": "climate", "tags": ["nightly", "v2"]],
            ],
        ]
    }()
}
