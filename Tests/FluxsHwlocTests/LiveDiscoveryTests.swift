// Discovery of the machine the tests run on, checked against the hwloc command-line tools
// (hwloc-calc, run as a child process) and the C library's own CPU counts: cores and PUs as
// hwloc-calc counts them, PUs as nproc and sysconf see them, the cpuset and the hostname;
// restriction to one PU; bad cpusets; and loading without I/O devices.
import Foundation
import FluxsFormats
import FluxsMessage
import Testing
@testable import FluxsHwloc

/// The standard output of `program arguments`, trimmed; nil when it cannot run or fails.
/// OMP_NUM_THREADS and OMP_THREAD_LIMIT are removed (nproc would obey them). Run through
/// popen(3), not Foundation.Process: Process leaks under LeakSanitizer (make sanitize).
func commandOutput(_ program: String, _ arguments: [String]) -> String? {
    let quoted = ([program] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let command = "env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT " + quoted.joined(separator: " ") + " 2>/dev/null"
    guard let stream = popen(command, "r") else { return nil }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, stream)
        if n == 0 { break }
        output += buffer[0..<n]
    }
    guard pclose(stream) == 0 else { return nil }
    return String(decoding: output, as: UTF8.self).trimmingSpaces
}

/// hwloc-calc's answer to `arguments` as an integer.
private func hwlocCalc(_ arguments: String...) throws -> Int {
    let text = try #require(commandOutput("hwloc-calc", arguments), "hwloc-calc \(arguments) failed")
    return try #require(Int(text), "hwloc-calc printed \(text)")
}

private let hasHwlocCalc = commandOutput("hwloc-calc", ["--version"]) != nil

@Suite struct LiveDiscoveryTests {
    @Test(.enabled(if: hasHwlocCalc, "needs hwloc-calc (Debian package hwloc)"))
    func coresAndPUsMatchHwlocCalc() throws {
        let node = try NodeInventory.discover()
        #expect(node.cores == (try hwlocCalc("--number-of", "core", "machine:0")))
        #expect(node.pus == (try hwlocCalc("--number-of", "pu", "machine:0")))
        #expect(node.packages == (try hwlocCalc("--number-of", "package", "machine:0")))
        #expect(node.numaNodes == (try hwlocCalc("--number-of", "numanode", "machine:0")))
        let physical = try #require(
            commandOutput("hwloc-calc", ["--intersect", "pu", "--physical-output", "machine:0"]))
        #expect(try IDSet(parsing: node.cpuset) == IDSet(parsing: physical))
    }

    @Test func pusMatchNprocAndSysconf() throws {
        let node = try NodeInventory.discover(loadIODevices: false)
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let nproc = try #require(commandOutput("nproc", []).flatMap { Int($0) })
        #expect(node.pus >= 1 && node.pus <= online)
        // nproc counts this process's affinity; it equals the PUs unless the tests run pinned.
        if nproc == online { #expect(node.pus == nproc) } else { #expect(node.pus >= nproc) }
        #expect(node.cores >= 1 && node.cores <= node.pus)
        #expect(node.coreIDs == IDSet(range: 0...UInt32(node.cores - 1)))
        #expect(node.memoryBytes > 0)
        #expect(try IDSet(parsing: node.cpuset).count == node.pus)
    }

    @Test func hostnameIsThisHost() throws {
        #expect(try NodeInventory.discover(loadIODevices: false).hostname == NodeInventory.localHostname())
    }

    @Test func restrictingToOnePU() throws {
        let first = try #require(try IDSet(parsing: NodeInventory.discover(loadIODevices: false).cpuset).first)
        let node = try NodeInventory.discover(restrictTo: String(first))
        #expect(node.pus == 1)
        #expect(node.cores == 1)
        #expect(node.coreIDs == [0])
        #expect(node.cpuset == String(first))
        #expect(node.packages <= 1)
        #expect(node.numaNodes == 1)
    }

    @Test(arguments: ["", " ", "cores", "1,x"])
    func malformedCpusetIsEINVAL(cpuset: String) {
        #expect(thrownError { () throws(ServiceError) in try NodeInventory.discover(restrictTo: cpuset) }
            == ServiceError(EINVAL, #"cpuset "\#(cpuset)": not an hwloc cpuset (e.g. "0-7,16" or "0xff")"#))
    }

    @Test func cpusetOutsideTheNodeIsEINVAL() throws {
        let error = try #require(thrownError { () throws(ServiceError) in
            try NodeInventory.discover(restrictTo: "100000", loadIODevices: false)
        })
        #expect(error.errnum == EINVAL)
        #expect(error.message.hasPrefix(#"cpuset "100000" holds no PU of this node ("#))
    }

    @Test func withoutIODevicesTheCPUSideIsTheSame() throws {
        var with = try NodeInventory.discover(loadIODevices: true)
        let without = try NodeInventory.discover(loadIODevices: false)
        #expect(without.gpus.isEmpty)
        with.gpus = []
        #expect(with == without)
    }
}
