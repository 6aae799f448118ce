// Discovery: load a topology (this machine, or an XML document for tests and for replaying
// another node), optionally restrict it to a cpuset, and summarise it as a NodeInventory.
// The topology is loaded, read and destroyed within one call; nothing hwloc outlives it.
//
// Cores: hwloc Core objects; on a platform where hwloc reports none, PUs stand in for cores
// (as Flux does), so a node never reports 0 cores while it has PUs.
import CHwloc
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension NodeInventory {
    /// Discovers this node. `restrictTo` (hwloc list "0-7,16" or bitmap "0xff" form, PU os
    /// indexes) limits the view to those PUs, as a child instance sees only its job's cores;
    /// cores are then renumbered 0..<n. I/O devices (GPUs) are probed only when
    /// `loadIODevices` (about 10 ms). Throws EINVAL for a bad cpuset, EIO when hwloc fails.
    public static func discover(restrictTo cpuset: String? = nil, loadIODevices: Bool = true)
        throws(ServiceError) -> NodeInventory
    {
        try summarise(HwlocTopology(source: .thisSystem, loadIODevices: loadIODevices, restrictTo: cpuset))
    }

    /// Summarises the topology in the XML document `xml` (as `lstopo --of xml` writes), with
    /// the same options as `discover(restrictTo:loadIODevices:)`. For tests and replays.
    public static func discover(xml: String, restrictTo cpuset: String? = nil, loadIODevices: Bool = true)
        throws(ServiceError) -> NodeInventory
    {
        try summarise(HwlocTopology(source: .xmlText(xml), loadIODevices: loadIODevices, restrictTo: cpuset))
    }

    /// Summarises the topology in the XML file at `xmlPath`. Throws ENOENT when it cannot be read.
    public static func discover(xmlPath: String, restrictTo cpuset: String? = nil, loadIODevices: Bool = true)
        throws(ServiceError) -> NodeInventory
    {
        guard access(xmlPath, R_OK) == 0 else {
            throw ServiceError(ENOENT, "XML topology \(xmlPath): \(ServiceError.text(of: errno))")
        }
        return try summarise(HwlocTopology(source: .xmlFile(xmlPath), loadIODevices: loadIODevices,
                                           restrictTo: cpuset))
    }

    /// The inventory of a loaded topology.
    static func summarise(_ topology: HwlocTopology) -> NodeInventory {
        // The object pointers read below belong to the topology: keep it alive until done.
        withExtendedLifetime(topology) { summariseLoaded(topology) }
    }

    private static func summariseLoaded(_ topology: HwlocTopology) -> NodeInventory {
        let pus = topology.count(HWLOC_OBJ_PU)
        let coreObjects = topology.count(HWLOC_OBJ_CORE)
        let cores = coreObjects > 0 ? coreObjects : pus
        let memory = topology.objects(HWLOC_OBJ_NUMANODE).reduce(UInt64(0)) {
            $0 + UInt64($1.pointee.attr.pointee.numanode.local_memory)
        }
        return NodeInventory(
            hostname: topology.root.info("HostName") ?? localHostname(),
            packages: topology.count(HWLOC_OBJ_PACKAGE),
            numaNodes: topology.count(HWLOC_OBJ_NUMANODE),
            cores: cores, pus: pus, memoryBytes: memory,
            gpus: GPUScan.gpus(in: topology),
            cpuset: topology.cpuset,
            coreCPUs: topology.objects(coreObjects > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU).map {
                HwlocTopology.listString($0.pointee.cpuset)
            })
    }

    /// gethostname(), or "" when it fails.
    static func localHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
