// The wire form of an inventory, which a broker sends to rank 0, and the same shape for
// Codable. Keys are snake_case as in Flux payloads; idsets travel as their RFC 22 text:
//
//   {"hostname": "node3", "packages": 2, "numa_nodes": 2, "cores": 64, "pus": 128,
//    "memory": 270582939648, "core_ids": "0-63", "cpuset": "0-127",
//    "core_cpus": ["0,64", "1,65", ...],                (optional: CPUs of each core)
//    "gpus": [{"index": 0, "vendor": "NVIDIA", "name": "NVIDIA A100-SXM4-40GB",
//              "kind": "cuda", "bus_id": "0000:07:00.0"}]}
//
// Reading is strict (EPROTO naming the member) because the payload comes from another
// broker: counts are non-negative integers, core_ids holds `cores` ids, and gpu i has index i.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension NodeInventory {
    /// The inventory as a JSON object, for a broker to send to rank 0.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "hostname": .string(hostname),
            "packages": .int(Int64(packages)),
            "numa_nodes": .int(Int64(numaNodes)),
            "cores": .int(Int64(cores)),
            "pus": .int(Int64(pus)),
            "memory": .int(Int64(clamping: memoryBytes)),
            "core_ids": .string(coreIDs.description),
            "cpuset": .string(cpuset),
            "gpus": .array(gpus.map(\.json)),
        ]
        if !coreCPUs.isEmpty { object["core_cpus"] = .array(coreCPUs.map { .string($0) }) }
        return .object(object)
    }

    /// Reads an inventory from its JSON object. Throws EPROTO naming the first bad member.
    public init(json: JSONValue) throws(ServiceError) {
        guard case .object = json else { throw Self.bad("inventory", "must be an object, not \(json.kindName)") }
        let cores = try Self.count(json, "cores")
        let idsText = try Self.string(json, "core_ids")
        let ids: IDSet
        do { ids = try IDSet(parsing: idsText) } catch { throw Self.bad("core_ids", "\(error)") }
        guard ids.count == cores else { throw Self.bad("core_ids", "holds \(ids.count) ids, cores is \(cores)") }
        guard let gpuList = json["gpus"]?.arrayValue else { throw Self.bad("gpus", "must be an array") }
        var gpus: [GPU] = []
        for (position, item) in gpuList.enumerated() {
            let gpu = try GPU(json: item, member: "gpus[\(position)]")
            guard gpu.index == position else { throw Self.bad("gpus[\(position)].index", "must be \(position)") }
            gpus.append(gpu)
        }
        self.init(hostname: try Self.string(json, "hostname"), packages: try Self.count(json, "packages"),
                  numaNodes: try Self.count(json, "numa_nodes"), cores: cores, pus: try Self.count(json, "pus"),
                  memoryBytes: UInt64(try Self.count(json, "memory")), coreIDs: ids, gpus: gpus,
                  cpuset: try Self.string(json, "cpuset"),
                  coreCPUs: json["core_cpus"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// The member `key` as a non-negative integer; `path` prefixes the name in errors ("gpus[1].").
    static func count(_ json: JSONValue, _ key: String, path: String = "") throws(ServiceError) -> Int {
        guard let value = json[key]?.intValue, value >= 0 else {
            throw bad(path + key, "must be a non-negative integer")
        }
        return Int(value)
    }

    /// The member `key` as a string; `path` prefixes the name in errors.
    static func string(_ json: JSONValue, _ key: String, path: String = "") throws(ServiceError) -> String {
        guard let value = json[key]?.stringValue else { throw bad(path + key, "must be a string") }
        return value
    }

    /// The EPROTO error for a bad member.
    static func bad(_ member: String, _ problem: String) -> ServiceError {
        ServiceError(EPROTO, "node inventory: \(member): \(problem)")
    }
}

extension NodeInventory.GPU {
    /// The GPU as a JSON object; "bus_id" only when known.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "index": .int(Int64(index)), "vendor": .string(vendor), "name": .string(name), "kind": .string(kind),
        ]
        if let busID { members["bus_id"] = .string(busID) }
        return .object(members)
    }

    /// Reads a GPU from its JSON object; `member` names it in errors ("gpus[1]").
    public init(json: JSONValue, member: String = "gpu") throws(ServiceError) {
        guard case .object = json else { throw NodeInventory.bad(member, "must be an object") }
        let path = member + "."
        var busID: String?
        if let value = json["bus_id"], !value.isNull {
            guard let text = value.stringValue else { throw NodeInventory.bad(path + "bus_id", "must be a string") }
            busID = text
        }
        self.init(index: try NodeInventory.count(json, "index", path: path),
                  vendor: try NodeInventory.string(json, "vendor", path: path),
                  name: try NodeInventory.string(json, "name", path: path),
                  kind: try NodeInventory.string(json, "kind", path: path), busID: busID)
    }
}

// MARK: - Codable

extension NodeInventory: Codable {
    enum CodingKeys: String, CodingKey {
        case hostname, packages, cores, pus, cpuset, gpus
        case numaNodes = "numa_nodes"
        case memoryBytes = "memory"
        case coreIDs = "core_ids"
    }

    /// Decodes the shape of `json`; core_ids as idset text.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let idsText = try c.decode(String.self, forKey: .coreIDs)
        let ids: IDSet
        do { ids = try IDSet(parsing: idsText) } catch {
            throw DecodingError.dataCorruptedError(forKey: .coreIDs, in: c, debugDescription: "\(error)")
        }
        self.init(hostname: try c.decode(String.self, forKey: .hostname),
                  packages: try c.decode(Int.self, forKey: .packages),
                  numaNodes: try c.decode(Int.self, forKey: .numaNodes),
                  cores: try c.decode(Int.self, forKey: .cores), pus: try c.decode(Int.self, forKey: .pus),
                  memoryBytes: try c.decode(UInt64.self, forKey: .memoryBytes), coreIDs: ids,
                  gpus: try c.decode([GPU].self, forKey: .gpus), cpuset: try c.decode(String.self, forKey: .cpuset))
    }

    /// Encodes the shape of `json`; core_ids as idset text.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hostname, forKey: .hostname)
        try c.encode(packages, forKey: .packages)
        try c.encode(numaNodes, forKey: .numaNodes)
        try c.encode(cores, forKey: .cores)
        try c.encode(pus, forKey: .pus)
        try c.encode(memoryBytes, forKey: .memoryBytes)
        try c.encode(coreIDs.description, forKey: .coreIDs)
        try c.encode(cpuset, forKey: .cpuset)
        try c.encode(gpus, forKey: .gpus)
    }
}
