// The resource service (man/man7/fluxs-resource.7): every rank discovers its node with
// hwloc on a worker thread (restricted to the broker's CPU affinity, as a child instance
// is) and says hello to rank 0 with its inventory. Rank 0 keeps the instance's R
// (configured, or assembled from the inventories), which ranks are up (hello received,
// not lost by the overlay), which are drained and why (kept in the KVS under
// `resource.drain`), and answers the queries the CLI makes. Queries that need R wait
// until it is known. Those queries are rank 0's methods (FluxsProtocol's catalog): the
// broker forwards them there from any rank, with the caller's credentials.
import CFluxsSupport
import FluxsBroker
import FluxsFormats
import FluxsHwloc
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The resource service.
public final class ResourceModule: BrokerModule {
    public static let name = "resource"
    public static let services = ["resource"]

    let context: ModuleContext
    let worker = Worker()
    var inventory: NodeInventory?
    var pool: ResourcePool?

    public init(context: ModuleContext) { self.context = context }

    public func start() throws(ServiceError) {
        if context.rank == 0 {
            let size = UInt32(context.attribute("size") ?? "1") ?? 1
            pool = try ResourcePool(context: context, size: size)
            context.subscribe(.overlayLost) { [unowned self] event in self.pool?.lost(event) }
        }
        discover()
    }

    public func stop() {
        worker.stop()
        pool?.stop()
    }

    public func stats() -> [String: JSONValue] {
        var stats: [String: JSONValue] = ["discovered": .bool(inventory != nil)]
        if let pool { stats.merge(pool.state.stats) { $1 } }
        return stats
    }

    public var handlers: [ServiceHandler] {
        let pooled = { [unowned self] (request: Message, body: JSONValue) throws(ServiceError) in
            // Served on rank 0 only (the broker forwards these methods there).
            guard let pool = self.pool else { throw ServiceError(EHOSTUNREACH, "\(request.topic) is served on rank 0") }
            try pool.handle(request, body)
        }
        return [
            ServiceHandler(.resource.infoLocal) { [unowned self] request, _ in
                guard let inventory = self.inventory else {
                    throw ServiceError(EAGAIN, "rank \(self.context.rank) has not finished discovery")
                }
                self.context.respond(to: request, ["rank": .int(Int64(self.context.rank)), "inventory": inventory.json])
            },
            ServiceHandler(.resource.hello, pooled), ServiceHandler(.resource.R, pooled),
            ServiceHandler(.resource.status, pooled), ServiceHandler(.resource.drain, pooled),
            ServiceHandler(.resource.undrain, pooled),
        ]
    }

    /// Discovers this node off the loop, then says hello to rank 0.
    private func discover() {
        let restrict = Self.affinityCpuset()
        let io = Self.mayHaveGPUs()
        worker.run({
            Result { () throws(ServiceError) in try NodeInventory.discover(restrictTo: restrict, loadIODevices: io) }
        }, then: context.reactor.waker) { [weak self] result in self?.discovered(result) }
    }

    private func discovered(_ result: Result<NodeInventory, ServiceError>) {
        switch result {
        case .success(let found):
            inventory = found
            let hello: JSONValue = ["rank": .int(Int64(context.rank)), "inventory": found.json]
            if let pool {
                pool.hello(rank: 0, inventory: found)
            } else {
                context.rpc(.resource.hello, hello, nodeid: .rank(0)) { [unowned self] response in
                    if response.errnum != 0 { self.context.log(.err, "resource: hello to rank 0 failed: \(response.errorText)") }
                }
            }
        case .failure(let error):
            context.log(.err, "resource: discovery failed: \(error.message)")
        }
    }

    /// True unless sysfs shows no PCI display-class device (class 0x03xx) from NVIDIA or
    /// AMD: only then can hwloc's I/O discovery (three times the cost) find a GPU.
    static func mayHaveGPUs() -> Bool {
        guard let dir = opendir("/sys/bus/pci/devices") else { return true }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard !name.hasPrefix(".") else { continue }
            let base = "/sys/bus/pci/devices/\(name)"
            guard let cls = firstLine(base + "/class"), cls.hasPrefix("0x03"),
                let vendor = firstLine(base + "/vendor"), vendor == "0x10de" || vendor == "0x1002"
            else { continue }
            return true
        }
        return false
    }

    private static func firstLine(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init)
    }

    /// The broker's CPU affinity as a cpuset list, when narrower than the machine's.
    static func affinityCpuset() -> String? {
        var mask = [UInt8](repeating: 0, count: 128)
        guard fluxs_affinity_mask(&mask, mask.count) == 0 else { return nil }
        let all = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var cpus: [UInt32] = []
        for cpu in 0..<(mask.count * 8) where mask[cpu / 8] & (1 << (cpu % 8)) != 0 { cpus.append(UInt32(cpu)) }
        guard !cpus.isEmpty, cpus.count < all else { return nil }
        return IDSet(cpus).description
    }
}
