// Which GPUs a node has, from a loaded topology's I/O objects.
//
// 1. OS devices reported by the CUDA, NVML, RSMI or OpenCL plugins, of GPU or COPROC kind
//    (recognised by subtype, else the "Backend" info, else the name prefix "cuda0", "nvml0",
//    "rsmi0", "opencl0d0"). An OpenCL device counts only when its OpenCLDeviceType is GPU
//    (or unstated): FPGAs and other "Accelerator" or "Custom" devices are not GPUs.
// 2. Only when no such plugin reports any: PCI devices of display class (0x03xx) made by
//    NVIDIA (0x10de) or AMD (0x1002), kind "pci". (A server's BMC VGA is ASPEED or Matrox
//    and is not counted; an old ATI ES1000 would be.)
//
// One physical GPU seen by several plugins (cuda0 and nvml0 and opencl0d0 under the same
// PCI device) counts once: devices are merged by PCI bus id, keeping the kind by preference
// cuda, rsmi, nvml, opencl, and taking vendor and model from the first that names them.
// A device with no PCI ancestor cannot be matched and counts alone.
//
// Order, which makes the R gpu ids: by PCI bus id (the order of nvidia-smi and of
// CUDA_DEVICE_ORDER=PCI_BUS_ID), then devices without a bus id by kind and hwloc order.
import CHwloc

/// The GPU scan over one topology.
enum GPUScan {
    /// The kinds of OS devices that count as GPUs, best first.
    static let kindPreference = ["cuda", "rsmi", "nvml", "opencl", "pci"]

    /// One GPU as one plugin (or the PCI fallback) reports it.
    struct Sighting {
        var kind: String
        var vendor: String?
        var model: String?
        var busID: String?
        /// Position in hwloc traversal order, the last tie-breaker.
        var order: Int
    }

    /// The GPUs of `topology`, merged, ordered and numbered.
    static func gpus(in topology: HwlocTopology) -> [NodeInventory.GPU] {
        var sightings = topology.osDevices.enumerated().compactMap { sighting(osDevice: $1, order: $0) }
        if sightings.isEmpty {
            sightings = topology.pciDevices.enumerated().compactMap { sighting(pciDevice: $1, order: $0) }
        }
        return number(merge(sightings))
    }

    /// Merges sightings of the same PCI bus id; sightings without one stay apart.
    static func merge(_ sightings: [Sighting]) -> [Sighting] {
        var byBus: [String: [Sighting]] = [:]
        var result: [Sighting] = []
        for sighting in sightings {
            if let bus = sighting.busID { byBus[bus, default: []].append(sighting) } else { result.append(sighting) }
        }
        for (_, group) in byBus {
            let ranked = group.sorted { (rank($0.kind), $0.order) < (rank($1.kind), $1.order) }
            var best = ranked[0]
            best.vendor = ranked.lazy.compactMap(\.vendor).first
            best.model = ranked.lazy.compactMap(\.model).first
            best.order = group.map(\.order).min() ?? best.order
            result.append(best)
        }
        return result
    }

    /// Orders merged sightings (bus id, then kind and hwloc order) and numbers them from 0.
    static func number(_ sightings: [Sighting]) -> [NodeInventory.GPU] {
        let ordered = sightings.sorted { a, b in
            switch (a.busID, b.busID) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return (rank(a.kind), a.order) < (rank(b.kind), b.order)
            }
        }
        return ordered.enumerated().map { index, s in
            NodeInventory.GPU(index: index, vendor: s.vendor ?? "", name: s.model ?? "", kind: s.kind, busID: s.busID)
        }
    }

    private static func rank(_ kind: String) -> Int {
        kindPreference.firstIndex(of: kind) ?? kindPreference.count
    }

    // MARK: - Reading hwloc objects

    /// A GPU sighting from an OS device, or nil when it is not a GPU of a known plugin.
    static func sighting(osDevice device: hwloc_obj_t, order: Int) -> Sighting? {
        guard let osType = device.pointee.attr?.pointee.osdev.type,
              osType == HWLOC_OBJ_OSDEV_GPU || osType == HWLOC_OBJ_OSDEV_COPROC,
              let kind = kind(of: device)
        else { return nil }
        if kind == "opencl", let type = device.info("OpenCLDeviceType"), type.uppercased() != "GPU" { return nil }
        let pci = pciAncestor(of: device)
        let vendor = pci.flatMap { vendorName(pciVendor: $0.pointee.attr.pointee.pcidev.vendor_id) }
            ?? device.info("GPUVendor").map(normalizedVendor)
        return Sighting(kind: kind, vendor: vendor, model: device.info("GPUModel") ?? pci.flatMap(pciModel),
                        busID: pci.map(busID), order: order)
    }

    /// A GPU sighting from a PCI device: NVIDIA or AMD, display class; nil otherwise.
    static func sighting(pciDevice device: hwloc_obj_t, order: Int) -> Sighting? {
        let attributes = device.pointee.attr.pointee.pcidev
        guard attributes.class_id >> 8 == 0x03, let vendor = vendorName(pciVendor: attributes.vendor_id) else {
            return nil
        }
        return Sighting(kind: "pci", vendor: vendor, model: pciModel(device), busID: busID(device), order: order)
    }

    /// The plugin kind of an OS device: "cuda", "nvml", "rsmi", "opencl", or nil.
    static func kind(of device: hwloc_obj_t) -> String? {
        let known = ["cuda", "nvml", "rsmi", "opencl"]
        for label in [device.subtypeName, device.info("Backend") ?? ""] where known.contains(label.lowercased()) {
            return label.lowercased()
        }
        let name = device.objectName.lowercased()
        return known.first { name.hasPrefix($0) && name.dropFirst($0.count).first?.isNumber == true }
    }

    /// The nearest PCI device above `object`, stopping at the first non-I/O object.
    static func pciAncestor(of object: hwloc_obj_t) -> hwloc_obj_t? {
        var current = object.parentObject
        while let node = current {
            if node.objectType == HWLOC_OBJ_PCI_DEVICE { return node }
            guard node.objectType == HWLOC_OBJ_OS_DEVICE || node.objectType == HWLOC_OBJ_BRIDGE else { return nil }
            current = node.parentObject
        }
        return nil
    }

    /// A PCI device's bus id, "0000:3b:00.0".
    static func busID(_ device: hwloc_obj_t) -> String {
        let pci = device.pointee.attr.pointee.pcidev
        return hex(UInt(pci.domain), width: 4) + ":" + hex(UInt(pci.bus), width: 2) + ":"
            + hex(UInt(pci.dev), width: 2) + "." + hex(UInt(pci.`func`), width: 1)
    }

    /// A PCI device's model name when hwloc knows it, else "PCI 10de:1db4".
    static func pciModel(_ device: hwloc_obj_t) -> String? {
        if let name = device.info("PCIDevice") { return name }
        let pci = device.pointee.attr.pointee.pcidev
        return "PCI " + hex(UInt(pci.vendor_id), width: 4) + ":" + hex(UInt(pci.device_id), width: 4)
    }

    /// "NVIDIA" or "AMD" for their PCI vendor ids, nil for any other.
    static func vendorName(pciVendor id: UInt16) -> String? {
        switch id {
        case 0x10de: "NVIDIA"
        case 0x1002: "AMD"
        default: nil
        }
    }

    /// A plugin's vendor text shortened to "NVIDIA" or "AMD" when it names them.
    static func normalizedVendor(_ text: String) -> String {
        let upper = text.uppercased()
        if upper.contains("NVIDIA") { return "NVIDIA" }
        if upper.hasPrefix("AMD") || upper.contains("ADVANCED MICRO DEVICES") { return "AMD" }
        return text
    }

    private static func hex(_ value: UInt, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
