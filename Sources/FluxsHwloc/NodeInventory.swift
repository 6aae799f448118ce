// What one node has, as hwloc sees it: the summary every broker sends rank 0 at M5 so that
// the instance's R can be built (or checked) from real hardware. It is a plain value: counts,
// logical core ids, GPUs and the cpuset covered, with no hwloc handle inside, so it can be
// sent (NodeInventory+JSON.swift), compared with R (NodeInventory+Shortfall.swift) and made
// by hand in tests. Discovery, the only part that talks to hwloc, is in
// NodeInventory+Discover.swift; the GPU rules are in GPUScan.swift.
//
// Cores are numbered as Flux numbers them in R: hwloc logical indexes, 0..<cores, within
// the (possibly restricted) view. GPUs are numbered by their position in `gpus`.
import FluxsFormats

/// What one node has, as hwloc sees it (possibly restricted to a cpuset).
public struct NodeInventory: Sendable, Hashable {
    /// The node's hostname (hwloc's Machine "HostName", else gethostname()).
    public var hostname: String
    /// The number of processor packages (sockets).
    public var packages: Int
    /// The number of NUMA nodes.
    public var numaNodes: Int
    /// The number of cores.
    public var cores: Int
    /// The number of processing units (hardware threads).
    public var pus: Int
    /// The total memory of the NUMA nodes kept, in bytes.
    public var memoryBytes: UInt64
    /// Logical core indexes, 0..<cores (as Flux numbers cores in R).
    public var coreIDs: IDSet
    /// The GPUs, in a stable order; a GPU's position is its R gpu id.
    public var gpus: [GPU]
    /// The PU cpuset covered, in hwloc's list form (e.g. "0-7").
    public var cpuset: String
    /// The operating system's CPU numbers of each core, by logical core index, in
    /// idset form ("0,64"): what a task bound to a core may run on. Empty when unknown.
    public var coreCPUs: [String] = []

    /// One GPU of the node.
    public struct GPU: Sendable, Hashable, Codable {
        /// The R gpu id: the GPU's position in `NodeInventory.gpus`.
        public var index: Int
        /// "NVIDIA", "AMD", or the vendor text a plugin reported ("" when unknown).
        public var vendor: String
        /// The model ("NVIDIA A100-SXM4-40GB"), or "PCI 10de:20b0" when only PCI ids are known.
        public var name: String
        /// Who reported it: "cuda", "nvml", "rsmi", "opencl" or "pci".
        public var kind: String
        /// The PCI bus id ("0000:3b:00.0"), when known.
        public var busID: String?

        /// A GPU with the given description.
        public init(index: Int, vendor: String, name: String, kind: String, busID: String? = nil) {
            self.index = index
            self.vendor = vendor
            self.name = name
            self.kind = kind
            self.busID = busID
        }

        enum CodingKeys: String, CodingKey {
            case index, vendor, name, kind
            case busID = "bus_id"
        }
    }

    /// An inventory with the given contents; `coreIDs` defaults to 0..<cores.
    public init(hostname: String, packages: Int, numaNodes: Int, cores: Int, pus: Int, memoryBytes: UInt64,
                coreIDs: IDSet? = nil, gpus: [GPU] = [], cpuset: String, coreCPUs: [String] = []) {
        self.hostname = hostname
        self.packages = packages
        self.numaNodes = numaNodes
        self.cores = cores
        self.pus = pus
        self.memoryBytes = memoryBytes
        self.coreIDs = coreIDs ?? Self.firstIDs(cores)
        self.gpus = gpus
        self.cpuset = cpuset
        self.coreCPUs = coreCPUs
    }

    /// This node as an R node of `rank`: its hostname, cores = `coreIDs`, gpus = 0..<gpus.count.
    public func resourceNode(rank: UInt32) -> ResourceSet.Node {
        ResourceSet.Node(rank: rank, hostname: hostname, cores: coreIDs, gpus: Self.firstIDs(gpus.count))
    }

    /// The ids 0..<count (empty for 0).
    static func firstIDs(_ count: Int) -> IDSet {
        count > 0 ? IDSet(range: 0...UInt32(count - 1)) : IDSet()
    }
}
