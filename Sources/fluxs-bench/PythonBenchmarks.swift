// Benchmarks of the Python API and the ExaWorks clients, each in an instance of its own:
// fluxs.job.FluxExecutor throughput over 10,000 test-mode jobs on 1,024 fake cores (one
// node whose R says so; flux-core 0.88's FluxExecutor does 360 jobs/s here), the
// latency of fluxs.job.submit, and 1,000 jobs through the PSI/J executor (real jobs on
// a two-broker test instance; it needs psij-python, from the virtual environment of
// `make check-clients`, named by FLUXS_CLIENTS_PYTHON or found at .venv-clients).
// The scripts are bindings/python/bench/*.py of the build tree.
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

func pythonBenchmarks() -> [Benchmark] {
    [
        Benchmark(group: "python", name: "FluxExecutor 10000") {
            let out = try inFakeInstance(["executor_bench.py", "executor", "10000"], python: "python3")
            return BenchFigure(name: "fluxs.job.FluxExecutor, 10,000 jobs (test mode, 1,024 cores)",
                               value: try trailingNumber(out), unit: "jobs/s")
        },
        Benchmark(group: "python", name: "submit latency") {
            let out = try inFakeInstance(["executor_bench.py", "submit", "1000"], python: "python3")
            return BenchFigure(name: "fluxs.job.submit latency (median of 1,000)", value: try trailingNumber(out), unit: "us")
        },
        Benchmark(group: "python", name: "PSI/J 1000") {
            let python = try clientsPython()
            let out = try runCapture([ProcessEnvironment.besideMe("fluxs"), "start", "--test-size=2",
                                      ProcessEnvironment.besideMe("fluxs"), "python", try benchScript("psij_bench.py")],
                                     environment: ["FLUXS_PYTHON": python])
            return BenchFigure(name: "PSI/J executor, 1,000 jobs of /bin/true (2 brokers)", value: try trailingNumber(out),
                               unit: "jobs/s")
        },
    ]
}

/// The build tree's bindings/python/bench/NAME.
private func benchScript(_ name: String) throws -> String {
    guard let dir = ProcessEnvironment.executableDirectory, let build = dir.range(of: "/.build/") else {
        throw ServiceError(ENOENT, "the Python benchmarks run from a build tree")
    }
    return String(dir[..<build.lowerBound]) + "/bindings/python/bench/" + name
}

/// The Python of the clients' virtual environment.
private func clientsPython() throws -> String {
    if let named = getenv("FLUXS_CLIENTS_PYTHON").map({ String(cString: $0) }), !named.isEmpty { return named }
    let script = try benchScript("")
    let venv = String(script.dropLast("bindings/python/bench/".count)) + ".venv-clients/bin/python"
    guard access(venv, X_OK) == 0 else {
        throw ServiceError(ENOENT, "no psij-python: run make check-clients first (it makes .venv-clients)")
    }
    return venv
}

/// Runs a bench script with `fluxs python` in an instance of one node of 1,024 cores.
private func inFakeInstance(_ args: [String], python: String) throws -> String {
    let fluxs = ProcessEnvironment.besideMe("fluxs")
    return try runInFakeNode([fluxs, "python", try benchScript(args[0])] + args.dropFirst(), environment: ["FLUXS_PYTHON": python])
}

/// The last number of the last line a script printed ("... 3512 jobs/s").
private func trailingNumber(_ text: String) throws -> Double {
    let last = text.split(separator: "\n").last ?? ""
    guard let value = last.split(separator: " ").reversed().lazy.compactMap({ Double($0) }).first else {
        throw ServiceError(EPROTO, "the script printed \"\(text)\"")
    }
    return value
}
