// Discovery from the XML topologies in Fixtures/ (made from `lstopo -i "pack:2 [numa] l3:1
// core:4 pu:2" --of xml` with I/O objects added by hand), which exercise what this machine
// cannot: two packages and NUMA nodes of different sizes, restriction across them, and GPUs.
//
// gpu-plugins.xml (host gpu7): NVIDIA A100s at 07:00.0 and 87:00.0, each seen as cuda, nvml
// and opencl (cuda1 is the one at 07); an AMD MI210 at 8a:00.0 seen as rsmi and opencl; an
// AMD VGA at 8c:00.0 with no plugin device; an ASPEED VGA with a DRM "card0"; and, with no
// PCI parent, an OpenCL GPU and an OpenCL FPGA ("Accelerator").
// gpu-pci-only.xml (host gpu8): no plugin devices; PCI NVIDIA 3D at 07:00.0 (+ its audio
// function), AMD display at 8a:00.0 and NVIDIA VGA at 81:00.0 (in that hwloc order), the
// ASPEED VGA and a ConnectX NIC.
import Foundation
import FluxsFormats
import FluxsMessage
import Testing
@testable import FluxsHwloc

private let gib: UInt64 = 1 << 30

@Suite struct FixtureDiscoveryTests {
    @Test func twoPackagesCountsAndMemory() throws {
        let node = try Fixture.inventory("gpu-plugins", loadIODevices: false)
        #expect(node == NodeInventory(hostname: "gpu7", packages: 2, numaNodes: 2, cores: 8, pus: 16,
                                      memoryBytes: 96 * gib, cpuset: "0-15",
                                      coreCPUs: ["0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15"]))
        #expect(node.coreIDs == IDSet(range: 0...7))
    }

    @Test func pluginGPUsAreDedupedByBusAndOrderedByBus() throws {
        let node = try Fixture.inventory("gpu-plugins")
        #expect(node.gpus == [
            .init(index: 0, vendor: "NVIDIA", name: "NVIDIA A100-SXM4-40GB", kind: "cuda", busID: "0000:07:00.0"),
            .init(index: 1, vendor: "NVIDIA", name: "NVIDIA A100-SXM4-40GB", kind: "cuda", busID: "0000:87:00.0"),
            .init(index: 2, vendor: "AMD", name: "AMD Instinct MI210", kind: "rsmi", busID: "0000:8a:00.0"),
            .init(index: 3, vendor: "Intel(R) Corporation", name: "Intel(R) Data Center GPU Flex 170",
                  kind: "opencl", busID: nil),
        ])
        #expect(node.resourceNode(rank: 5)
            == ResourceSet.Node(rank: 5, hostname: "gpu7", cores: IDSet(range: 0...7), gpus: IDSet(range: 0...3)))
    }

    @Test func pciOnlyGPUsWhenNoPluginReportsAny() throws {
        let node = try Fixture.inventory("gpu-pci-only")
        #expect(node.hostname == "gpu8")
        #expect(node.gpus == [
            .init(index: 0, vendor: "NVIDIA", name: "GA100 [A100 SXM4 40GB]", kind: "pci", busID: "0000:07:00.0"),
            .init(index: 1, vendor: "NVIDIA", name: "PCI 10de:2236", kind: "pci", busID: "0000:81:00.0"),
            .init(index: 2, vendor: "AMD", name: "Aldebaran/MI200 [Instinct MI210]", kind: "pci",
                  busID: "0000:8a:00.0"),
        ])
    }

    @Test func noIODevicesNoGPUs() throws {
        #expect(try Fixture.inventory("gpu-plugins", loadIODevices: false).gpus.isEmpty)
        #expect(try Fixture.inventory("gpu-pci-only", loadIODevices: false).gpus.isEmpty)
    }

    @Test func restrictToOnePackage() throws {
        let node = try Fixture.inventory("gpu-plugins", restrictTo: "8-15")
        #expect(node.packages == 1)
        #expect(node.numaNodes == 1)
        #expect(node.memoryBytes == 32 * gib)
        #expect(node.cores == 4)
        #expect(node.pus == 8)
        #expect(node.coreIDs == IDSet(range: 0...3))
        #expect(node.cpuset == "8-15")
        // I/O objects move up rather than vanish: GPU ids stay those of the whole node.
        #expect(node.gpus.map(\.busID) == ["0000:07:00.0", "0000:87:00.0", "0000:8a:00.0", nil])
    }

    @Test func restrictRenumbersCores() throws {
        // PUs 2-5 are cores L#1 and L#2 of package 0: two cores, numbered 0-1, each with
        // its two hardware threads.
        let node = try Fixture.inventory("gpu-plugins", restrictTo: "2-5", loadIODevices: false)
        #expect(node == NodeInventory(hostname: "gpu7", packages: 1, numaNodes: 1, cores: 2, pus: 4,
                                      memoryBytes: 64 * gib, cpuset: "2-5", coreCPUs: ["2-3", "4-5"]))
    }

    @Test func restrictAcrossPackagesWithHalfCores() throws {
        // One PU of core L#0 and one of core L#4, in bitmap form.
        let node = try Fixture.inventory("gpu-plugins", restrictTo: "0x102", loadIODevices: false)
        #expect(node == NodeInventory(hostname: "gpu7", packages: 2, numaNodes: 2, cores: 2, pus: 2,
                                      memoryBytes: 96 * gib, cpuset: "1,8", coreCPUs: ["1", "8"]))
    }

    @Test func xmlTextAndFileAgree() throws {
        let text = try String(contentsOfFile: Fixture.path("gpu-plugins"), encoding: .utf8)
        #expect(try NodeInventory.discover(xml: text) == Fixture.inventory("gpu-plugins"))
    }

    @Test func missingXMLFileIsENOENT() {
        #expect(thrownError { () throws(ServiceError) in try NodeInventory.discover(xmlPath: "/nonexistent.xml") }?
            .errnum == ENOENT)
    }

    @Test func malformedXMLFails() {
        let error = thrownError { () throws(ServiceError) in try NodeInventory.discover(xml: "<topology><oops") }
        #expect(error != nil)
    }
}
