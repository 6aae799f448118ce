// An instance of one broker whose R says it has 1,024 cores (resource.path, with
// noverify): room for thousands of test-mode jobs at once, or for child instances of a
// share of it each, on a machine of two cores. Used by the Python and nesting
// benchmarks.
import FluxsMessage
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// Runs `command` as the initial program of a one-broker instance of `cores` fake
/// cores; returns what it printed.
func runInFakeNode(cores: Int = 1024, _ command: [String], environment: [String: String] = [:]) throws -> String {
    var template = Array("/tmp/fluxs-bench-XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw ServiceError(errno, "mkdtemp")
    }
    let dir = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    defer { _ = try? runCapture(["/bin/rm", "-rf", dir]) }
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, host.count)
    let hostname = String(cString: host)
    let R = """
        {"version": 1, "execution": {"R_lite": [{"rank": "0", "children": {"core": "0-\(cores - 1)"}}], \
        "nodelist": ["\(hostname)"], "starttime": 0, "expiration": 0}}
        """
    try writeFile("\(dir)/R.json", R)
    try writeFile("\(dir)/resource.toml", "[resource]\npath = \"\(dir)/R.json\"\nnoverify = true\n")
    let fluxs = ProcessEnvironment.besideMe("fluxs")
    return try runCapture([fluxs, "start", "--config-path=\(dir)"] + command, environment: environment)
}

private func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw ServiceError(errno, "cannot write \(path)") }
    fputs(text, file)
    fclose(file)
}
