// The one place that owns an hwloc topology: init, configure, load (this machine or an XML
// document), optional restriction to a cpuset, destroy. Everything else in the target reads
// a loaded topology through the small accessors here and never calls hwloc_topology_* itself.
//
// Configuration follows Flux's rhwloc: caches only where they bring structure, and I/O
// objects (PCI devices, OS devices) only when asked, filtered to the "important" ones
// (GPUs, coprocessors, network and storage), because probing them costs ~10 ms. A live
// load sets HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM; an XML load does not (it may be any machine).
//
// Restriction uses REMOVE_CPULESS | ADAPT_IO: NUMA nodes (and other objects) left without a
// PU disappear, so memory is what is local to the cpuset, while I/O objects are moved up to
// a surviving ancestor rather than dropped: a job given cores of package 0 and the GPU next
// to package 1 still sees that GPU, and GPU ids stay those of the whole node.
import CHwloc
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// A loaded hwloc topology, destroyed with the object. Not thread-safe; use it from one task.
final class HwlocTopology {
    /// Where the topology comes from.
    enum Source {
        /// This machine, as the OS reports it.
        case thisSystem
        /// An XML document (hwloc 1.x or 2.x format) in memory.
        case xmlText(String)
        /// An XML file on disk.
        case xmlFile(String)
    }

    /// The hwloc handle; valid from init to deinit.
    let handle: hwloc_topology_t
    /// Our copy of an XML document, kept as long as the topology in case hwloc reads it late.
    private var xmlCopy: UnsafeMutablePointer<CChar>?

    /// Loads a topology from `source`, with or without I/O objects, restricted to `cpuset`
    /// (hwloc list "0-7,16" or bitmap "0xff" form) when given.
    init(source: Source, loadIODevices: Bool, restrictTo cpuset: String?) throws(ServiceError) {
        var topology: hwloc_topology_t?
        guard hwloc_topology_init(&topology) == 0, let topology else {
            throw ServiceError(ENOMEM, "hwloc: cannot initialize a topology")
        }
        handle = topology
        try configure(source: source, loadIODevices: loadIODevices)
        errno = 0
        guard hwloc_topology_load(handle) == 0 else {
            throw ServiceError(errno == 0 ? EIO : errno, "hwloc: cannot load the topology: \(Self.lastError())")
        }
        if let cpuset { try restrict(to: cpuset) }
    }

    deinit {
        hwloc_topology_destroy(handle)
        free(xmlCopy)
    }

    private func configure(source: Source, loadIODevices: Bool) throws(ServiceError) {
        hwloc_topology_set_cache_types_filter(handle, HWLOC_TYPE_FILTER_KEEP_STRUCTURE)
        hwloc_topology_set_icache_types_filter(handle, HWLOC_TYPE_FILTER_KEEP_STRUCTURE)
        hwloc_topology_set_io_types_filter(
            handle, loadIODevices ? HWLOC_TYPE_FILTER_KEEP_IMPORTANT : HWLOC_TYPE_FILTER_KEEP_NONE)
        switch source {
        case .thisSystem:
            hwloc_topology_set_flags(handle, UInt(HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM.rawValue))
        case .xmlText(let text):
            xmlCopy = strdup(text)
            guard let xmlCopy, hwloc_topology_set_xmlbuffer(handle, xmlCopy, Int32(text.utf8.count + 1)) == 0 else {
                throw ServiceError(EINVAL, "hwloc: cannot use the XML topology: \(Self.lastError())")
            }
        case .xmlFile(let path):
            guard hwloc_topology_set_xml(handle, path) == 0 else {
                throw ServiceError(ENOENT, "hwloc: cannot read XML topology \(path): \(Self.lastError())")
            }
        }
    }

    /// Restricts the topology to the PUs of `cpuset`; fails when it names no PU of the node.
    private func restrict(to cpuset: String) throws(ServiceError) {
        guard let set = hwloc_bitmap_alloc() else { throw ServiceError(ENOMEM, "hwloc: cannot allocate a cpuset") }
        defer { hwloc_bitmap_free(set) }
        let trimmed = cpuset.trimmingSpaces
        let parsed = trimmed.hasPrefix("0x")
            ? hwloc_bitmap_sscanf(set, trimmed) : hwloc_bitmap_list_sscanf(set, trimmed)
        guard !trimmed.isEmpty, parsed == 0 else {
            throw ServiceError(EINVAL, "cpuset \"\(cpuset)\": not an hwloc cpuset (e.g. \"0-7,16\" or \"0xff\")")
        }
        guard hwloc_bitmap_intersects(set, hwloc_topology_get_topology_cpuset(handle)) != 0 else {
            throw ServiceError(EINVAL, "cpuset \"\(cpuset)\" holds no PU of this node (\(self.cpuset))")
        }
        let flags = UInt(HWLOC_RESTRICT_FLAG_REMOVE_CPULESS.rawValue | HWLOC_RESTRICT_FLAG_ADAPT_IO.rawValue)
        guard hwloc_topology_restrict(handle, set, flags) == 0 else {
            throw ServiceError(errno == 0 ? EINVAL : errno, "hwloc: cannot restrict to cpuset \"\(cpuset)\"")
        }
    }

    // MARK: - Reading

    /// The number of objects of `type` (0 when the level is absent).
    func count(_ type: hwloc_obj_type_t) -> Int {
        Int(max(0, hwloc_get_nbobjs_by_type(handle, type)))
    }

    /// The objects of `type`, in logical order.
    func objects(_ type: hwloc_obj_type_t) -> [hwloc_obj_t] {
        (0..<count(type)).compactMap { hwloc_get_obj_by_type(handle, type, UInt32($0)) }
    }

    /// The root (Machine) object.
    var root: hwloc_obj_t { hwloc_get_root_obj(handle) }

    /// The PUs the topology covers, in hwloc list form ("0-7").
    var cpuset: String {
        Self.listString(hwloc_topology_get_topology_cpuset(handle))
    }

    /// The OS devices, in traversal order.
    var osDevices: [hwloc_obj_t] {
        var result: [hwloc_obj_t] = []
        var object: hwloc_obj_t? = nil
        while let next = hwloc_get_next_osdev(handle, object) {
            result.append(next)
            object = next
        }
        return result
    }

    /// The PCI devices, in traversal order.
    var pciDevices: [hwloc_obj_t] {
        var result: [hwloc_obj_t] = []
        var object: hwloc_obj_t? = nil
        while let next = hwloc_get_next_pcidev(handle, object) {
            result.append(next)
            object = next
        }
        return result
    }

    /// A bitmap in hwloc list form; "" for an empty or missing one.
    static func listString(_ bitmap: hwloc_const_bitmap_t?) -> String {
        guard let bitmap else { return "" }
        var text: UnsafeMutablePointer<CChar>?
        guard hwloc_bitmap_list_asprintf(&text, bitmap) >= 0, let text else { return "" }
        defer { free(text) }
        return String(cString: text)
    }

    /// The text of the current errno, for hwloc calls that report through it.
    private static func lastError() -> String {
        errno == 0 ? "unknown error" : String(cString: strerror(errno))
    }
}

// MARK: - Object accessors

/// Read-only views of an hwloc object's fields, so callers need not touch `pointee`.
extension hwloc_obj_t {
    /// The info attribute `name` (e.g. "HostName", "GPUModel"), when present and not empty.
    func info(_ name: String) -> String? {
        guard let value = hwloc_obj_get_info_by_name(self, name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// The object's name ("cuda0"), or "".
    var objectName: String { pointee.name.map { String(cString: $0) } ?? "" }
    /// The object's subtype ("CUDA"), or "".
    var subtypeName: String { pointee.subtype.map { String(cString: $0) } ?? "" }
    /// The object's type.
    var objectType: hwloc_obj_type_t { pointee.type }
    /// The parent, nil for the root.
    var parentObject: hwloc_obj_t? { pointee.parent }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
