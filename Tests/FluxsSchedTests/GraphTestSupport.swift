// Helpers for the resource graph tests: small clusters and nodes in short form, and
// requests with defaults that keep the tests short.
import FluxsFormats
import FluxsSched

/// A cluster of `count` nodes, hosts n0..., each with `cores` cores and `gpus` gpus;
/// `properties` maps a rank to its property names.
func graphCluster(_ count: Int, cores: Int, gpus: Int = 0, properties: [UInt32: Set<String>] = [:]) -> ResourceSet {
    ResourceSet(nodes: (0..<count).map { rank in
        ResourceSet.Node(rank: UInt32(rank), hostname: "n\(rank)",
                         cores: IDSet(range: 0...UInt32(cores - 1)),
                         gpus: gpus > 0 ? IDSet(range: 0...UInt32(gpus - 1)) : IDSet(),
                         properties: properties[UInt32(rank)] ?? [])
    })
}

/// A node of the test clusters holding the given ids (idset text).
func graphNode(_ rank: UInt32, cores: String, gpus: String = "", properties: Set<String> = []) -> ResourceSet.Node {
    ResourceSet.Node(rank: rank, hostname: "n\(rank)", cores: try! IDSet(parsing: cores), gpus: try! IDSet(parsing: gpus),
                     properties: properties)
}

/// The R expected of an allocation over [start, end).
func graphR(_ nodes: [ResourceSet.Node], _ start: Double, _ end: Double) -> ResourceSet {
    ResourceSet(nodes: nodes, starttime: start, expiration: end)
}

/// `slots` slots of `cores` cores (and `gpus` gpus), optionally on `nodes` nodes.
func graphSlots(_ slots: Int, cores: Int = 1, gpus: Int = 0, nodes: Int? = nil, exclusive: Bool = false,
           duration: Double = 10, properties: [String] = []) -> ResourceRequest {
    ResourceRequest(nnodes: nodes, nslots: slots, coresPerSlot: cores, gpusPerSlot: gpus, exclusive: exclusive,
                    duration: duration, properties: properties)
}
