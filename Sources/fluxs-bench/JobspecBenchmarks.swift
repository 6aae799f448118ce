// Benchmarks of jobspec (RFC 25): how many submissions per second the front end can
// take in — JSON and YAML text parsed and validated, validation alone, and the
// command line's request built into a jobspec. The sample is what `submit -N2 -n4
// -c2 -g1 --exclusive` sends: a node>slot>(core,gpu) request with a 40-variable
// environment (submitters send their whole environment).
import FluxsFormats
import FluxsYAML

func jobspecBenchmarks() -> [Benchmark] {
    var environment: [String: String] = [:]
    for i in 0..<40 { environment["VARIABLE_\(i)"] = "/usr/local/lib/value-\(i):/opt/tool/\(i)" }
    let request = JobspecRequest(
        command: ["hostname", "-s"], ntasks: 4, nnodes: 2, coresPerTask: 2, gpusPerTask: 1, exclusive: true,
        duration: 600, cwd: "/home/flux", environment: environment, jobName: "probe")
    let yaml = jobspecYAML(environment: environment)

    return [
        Benchmark(group: "jobspec", name: "parse+validate JSON") {
            let text = try request.build().json.compactText
            let rate = try medianRate(iterations: 2000) { blackHole(try Jobspec(parsing: text)) }
            return BenchFigure(name: "parse+validate JSON (40 env vars)", value: rate, unit: "ops/s")
        },
        Benchmark(group: "jobspec", name: "parse+validate YAML") {
            let rate = try medianRate(iterations: 500) { blackHole(try Jobspec(parsing: yaml)) }
            return BenchFigure(name: "parse+validate YAML (40 env vars)", value: rate, unit: "ops/s")
        },
        Benchmark(group: "jobspec", name: "validate") {
            let json = try request.build().json
            let rate = medianRate(iterations: 20000) { blackHole(Jobspec.validate(json)) }
            return BenchFigure(name: "validate parsed document", value: rate, unit: "ops/s")
        },
        Benchmark(group: "jobspec", name: "request build") {
            let rate = try medianRate(iterations: 5000) { blackHole(try request.build()) }
            return BenchFigure(name: "request build -N2 -n4 -c2 -g1 (40 env vars)", value: rate, unit: "ops/s")
        },
    ]
}

/// The sample request written as block-style YAML, the way people write jobspec files.
private func jobspecYAML(environment: [String: String]) -> String {
    var text = """
        version: 1
        resources:
          - type: node
            count: 2
            exclusive: true
            with:
              - type: slot
                count: 2
                label: task
                with:
                  - type: core
                    count: 2
                  - type: gpu
                    count: 1
        tasks:
          - command: [hostname, -s]
            slot: task
            count:
              per_slot: 1
        attributes:
          system:
            duration: 600.
            cwd: /home/flux
            job:
              name: probe
            environment:

        """
    for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
        text += "      \(name): \"\(value)\"\n"
    }
    return text
}
