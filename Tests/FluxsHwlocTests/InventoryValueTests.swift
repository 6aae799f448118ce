// The inventory as a value, built by hand (this machine has no GPU): the GPU merge and order
// rules on sightings, resourceNode, shortfall messages (exact), and the JSON and Codable
// round trips with their errors.
import Foundation
import FluxsFormats
import FluxsMessage
import Testing
@testable import FluxsHwloc

/// A node with `cores` cores (two PUs each) and `gpus` NVIDIA GPUs.
private func inventory(cores: Int, gpus: Int, hostname: String = "node1") -> NodeInventory {
    NodeInventory(hostname: hostname, packages: 1, numaNodes: 1, cores: cores, pus: 2 * cores,
                  memoryBytes: 64 << 30,
                  gpus: (0..<gpus).map {
                      .init(index: $0, vendor: "NVIDIA", name: "NVIDIA H100", kind: "cuda",
                            busID: "0000:\($0 + 10):00.0")
                  },
                  cpuset: cores > 0 ? "0-\(2 * cores - 1)" : "")
}

/// An R node in short form.
private func rNode(_ cores: String, _ gpus: String = "", hostname: String? = nil) -> ResourceSet.Node {
    ResourceSet.Node(rank: 0, hostname: hostname, cores: try! IDSet(parsing: cores), gpus: try! IDSet(parsing: gpus))
}

@Suite struct GPUScanRuleTests {
    private func seen(_ kind: String, _ bus: String?, _ order: Int, vendor: String? = nil, model: String? = nil)
        -> GPUScan.Sighting
    {
        GPUScan.Sighting(kind: kind, vendor: vendor, model: model, busID: bus, order: order)
    }

    @Test func oneGPUSeenByThreePluginsCountsOnceAsCUDA() {
        let merged = GPUScan.number(GPUScan.merge([
            seen("opencl", "0000:3b:00.0", 0, vendor: "NVIDIA", model: "OpenCL name"),
            seen("nvml", "0000:3b:00.0", 1, vendor: "NVIDIA", model: "Tesla V100"),
            seen("cuda", "0000:3b:00.0", 2, vendor: "NVIDIA"),
        ]))
        // cuda wins the kind; the model comes from the next best that names one (nvml).
        #expect(merged == [.init(index: 0, vendor: "NVIDIA", name: "Tesla V100", kind: "cuda", busID: "0000:3b:00.0")])
    }

    @Test func orderIsBusThenKindThenHwlocOrder() {
        let merged = GPUScan.number(GPUScan.merge([
            seen("opencl", nil, 0), seen("cuda", "0000:b1:00.0", 1), seen("cuda", nil, 2),
            seen("rsmi", "0000:0c:00.0", 3), seen("opencl", nil, 4),
        ]))
        #expect(merged.map(\.busID) == ["0000:0c:00.0", "0000:b1:00.0", nil, nil, nil])
        #expect(merged.map(\.kind) == ["rsmi", "cuda", "cuda", "opencl", "opencl"])
        #expect(merged.map(\.index) == [0, 1, 2, 3, 4])
    }

    @Test func vendorTextIsShortened() {
        #expect(GPUScan.normalizedVendor("NVIDIA Corporation") == "NVIDIA")
        #expect(GPUScan.normalizedVendor("Advanced Micro Devices, Inc.") == "AMD")
        #expect(GPUScan.normalizedVendor("AMD") == "AMD")
        #expect(GPUScan.normalizedVendor("Intel(R) Corporation") == "Intel(R) Corporation")
    }
}

@Suite struct ShortfallTests {
    @Test func enoughIsNil() {
        let node = inventory(cores: 4, gpus: 2)
        #expect(node.shortfall(against: rNode("0-3", "0-1", hostname: "node1")) == nil)
        #expect(node.shortfall(against: rNode("1-2", "1")) == nil)
        #expect(node.shortfall(against: rNode("")) == nil)
    }

    @Test func theExampleOfTheIssue() {
        #expect(inventory(cores: 2, gpus: 0).shortfall(against: rNode("0-3", "0"))
            == "has 2 cores, R says 4 (cores 2-3 missing); has 0 gpus, R says 1")
    }

    @Test func oneMissingIdIsSingular() {
        #expect(inventory(cores: 4, gpus: 1).shortfall(against: rNode("3-4"))
            == "has 4 cores, R says 2 (core 4 missing)")
        #expect(inventory(cores: 1, gpus: 1).shortfall(against: rNode("0-1"))
            == "has 1 core, R says 2 (core 1 missing)")
    }

    @Test func missingGPUsAreListed() {
        #expect(inventory(cores: 4, gpus: 2).shortfall(against: rNode("0-3", "0-3,7"))
            == "has 2 gpus, R says 5 (gpus 2-3,7 missing)")
    }

    @Test func noCoresAtAll() {
        #expect(inventory(cores: 0, gpus: 1).shortfall(against: rNode("0"))
            == "has 0 cores, R says 1")
    }

    @Test func hostnameComesFirst() {
        #expect(inventory(cores: 2, gpus: 0, hostname: "gpu7").shortfall(against: rNode("0-2", hostname: "gpu8"))
            == "hostname is gpu7, R says gpu8; has 2 cores, R says 3 (core 2 missing)")
    }

    @Test func ownResourceNodeHasNoShortfall() {
        let node = inventory(cores: 48, gpus: 8)
        #expect(node.shortfall(against: node.resourceNode(rank: 3)) == nil)
        #expect(node.resourceNode(rank: 3) == ResourceSet.Node(rank: 3, hostname: "node1", cores: IDSet(range: 0...47),
                                                              gpus: IDSet(range: 0...7)))
    }
}

@Suite struct InventoryJSONTests {
    private let sample = NodeInventory(
        hostname: "gpu7", packages: 2, numaNodes: 2, cores: 8, pus: 16, memoryBytes: 96 << 30,
        gpus: [.init(index: 0, vendor: "NVIDIA", name: "NVIDIA A100", kind: "cuda", busID: "0000:07:00.0"),
               .init(index: 1, vendor: "", name: "gfx", kind: "opencl")],
        cpuset: "0-15")

    @Test func jsonText() {
        #expect(sample.json.compactText == #"{"core_ids":"0-7","cores":8,"cpuset":"0-15","gpus":[{"bus_id":"0000:07:00.0","index":0,"kind":"cuda","name":"NVIDIA A100","vendor":"NVIDIA"},{"index":1,"kind":"opencl","name":"gfx","vendor":""}],"hostname":"gpu7","memory":103079215104,"numa_nodes":2,"packages":2,"pus":16}"#)
    }

    @Test func jsonRoundTrip() throws {
        #expect(try NodeInventory(json: sample.json) == sample)
        #expect(try NodeInventory(json: JSONValue(parsing: sample.json.compactText)) == sample)
        let live = try NodeInventory.discover(loadIODevices: false)
        #expect(try NodeInventory(json: live.json) == live)
        let fixture = try Fixture.inventory("gpu-plugins")
        #expect(try NodeInventory(json: fixture.json) == fixture)
    }

    @Test func codableRoundTripHasTheSameShape() throws {
        let data = try JSONEncoder().encode(sample)
        #expect(try JSONDecoder().decode(NodeInventory.self, from: data) == sample)
        #expect(try JSONValue(parsing: data) == sample.json)
    }

    @Test(arguments: [
        (#"[]"#, "node inventory: inventory: must be an object, not array"),
        (#"{"cores":-1}"#, "node inventory: cores: must be a non-negative integer"),
        (#"{"cores":2,"core_ids":"0-2"}"#, "node inventory: core_ids: holds 3 ids, cores is 2"),
        (#"{"cores":2,"core_ids":"x"}"#, #"node inventory: core_ids: idset "x": unexpected character "x""#),
        (#"{"cores":1,"core_ids":"0","gpus":{}}"#, "node inventory: gpus: must be an array"),
        (#"{"cores":1,"core_ids":"0","gpus":[{"index":1,"vendor":"","name":"","kind":"pci"}]}"#,
         "node inventory: gpus[0].index: must be 0"),
        (#"{"cores":1,"core_ids":"0","gpus":[{"index":0,"vendor":"","name":"","kind":"pci","bus_id":7}]}"#,
         "node inventory: gpus[0].bus_id: must be a string"),
        (#"{"cores":1,"core_ids":"0","gpus":[{"index":0,"name":"","kind":"pci"}]}"#,
         "node inventory: gpus[0].vendor: must be a string"),
        (#"{"cores":1,"core_ids":"0","gpus":[]}"#, "node inventory: hostname: must be a string"),
    ])
    func badJSONIsEPROTO(text: String, message: String) throws {
        let json = try JSONValue(parsing: text)
        #expect(thrownError { () throws(ServiceError) in try NodeInventory(json: json) }
            == ServiceError(EPROTO, message))
    }
}
