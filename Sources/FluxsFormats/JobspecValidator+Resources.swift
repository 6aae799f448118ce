// Version 1 resource rules (RFC 25 "Resources" and "V1-Specific Resource Graph
// Restrictions"): exactly one top vertex, node or slot; a node holds exactly one slot;
// a slot holds exactly one core and at most one gpu; core and gpu are leaves. Counts
// are fixed integers (no RFC 14 ranges): positive for node, slot and core, 0 or more for
// a gpu (flux-core's validator allows gpu count 0, meaning no gpu); slots carry a label,
// `exclusive` is a boolean, `unit` and `label` are strings.

extension JobspecValidator {
    /// The keys a version 1 resource vertex may have.
    static let vertexKeys = ["type", "count", "unit", "exclusive", "label", "with"]

    /// Checks the `resources` array and returns its top vertex.
    mutating func checkResources(_ value: JSONValue) -> JobspecResource? {
        checkSingleElementArray(value, what: "resource (a node or a slot)") { $0.checkVertex($1, under: nil) }
    }

    /// Checks one vertex whose parent is of type `parent` (nil at the top). Returns nil
    /// when the vertex is not an object or its type is missing, unknown or misplaced
    /// (its children are then not checked: their rules depend on the type).
    mutating func checkVertex(_ value: JSONValue, under parent: JobspecResource.Kind?) -> JobspecResource? {
        guard case .object(let vertex) = value else {
            report("must be an object")
            return nil
        }
        let kind = at("type") { $0.checkType(vertex["type"], under: parent) }
        let count = at("count") { $0.checkResourceCount(vertex["count"], minimum: kind == .gpu ? 0 : 1) }
        checkOptionalString(vertex, "unit")
        checkOptionalString(vertex, "label")
        if let exclusive = vertex["exclusive"], exclusive.boolValue == nil {
            report("must be a boolean", at: "exclusive")
        }
        if kind == .slot, vertex["label"] == nil { report("is required for a slot", at: "label") }
        reportUnknownKeys(vertex, known: Self.vertexKeys)
        guard let kind else { return nil }
        let children = checkChildren(vertex["with"], of: kind)
        return JobspecResource(
            type: kind, count: count ?? 0, exclusive: vertex["exclusive"]?.boolValue,
            label: vertex["label"]?.stringValue, unit: vertex["unit"]?.stringValue, with: children)
    }

    /// Checks a vertex type and where it stands in the tree.
    private mutating func checkType(_ value: JSONValue?, under parent: JobspecResource.Kind?) -> JobspecResource.Kind? {
        guard let value else {
            report("is required")
            return nil
        }
        guard case .string(let name) = value else {
            report("must be a string")
            return nil
        }
        guard let kind = JobspecResource.Kind(rawValue: name) else {
            report("unknown resource type \"\(name)\" (version 1 knows node, slot, core and gpu)")
            return nil
        }
        let placement: (allowed: [JobspecResource.Kind], rule: String) =
            switch parent {
            case nil: ([.node, .slot], "must be node or slot at the top of resources")
            case .node?: ([.slot], "must be slot under a node")
            case .slot?, .core?, .gpu?: ([.core, .gpu], "must be core or gpu under a slot")
            }
        guard placement.allowed.contains(kind) else {
            report(placement.rule)
            return nil
        }
        return kind
    }

    /// Checks a vertex count: a fixed integer of at least `minimum` in version 1.
    private mutating func checkResourceCount(_ value: JSONValue?, minimum: Int64) -> Int? {
        switch value {
        case nil:
            report("is required")
        case .object?:
            report("must be a fixed integer: count ranges (min, max, operator, operand) are not allowed in version 1")
        case .string?:
            report("must be a fixed integer: idset and range strings are not allowed in version 1")
        case let value?:
            return positiveCount(value, minimum: minimum)
        }
        return nil
    }

    /// Checks the `with` member of a vertex of type `kind`.
    private mutating func checkChildren(_ value: JSONValue?, of kind: JobspecResource.Kind) -> [JobspecResource] {
        switch kind {
        case .core, .gpu:
            if value != nil { report("is not allowed: core and gpu cannot contain other resources", at: "with") }
            return []
        case .node, .slot:
            guard let value else {
                report("is required", at: "with")
                return []
            }
            return at("with") { $0.checkChildList(value, of: kind) }
        }
    }

    /// Checks the children of a node (exactly one slot) or a slot (one core, at most one gpu).
    private mutating func checkChildList(_ value: JSONValue, of kind: JobspecResource.Kind) -> [JobspecResource] {
        guard case .array(let list) = value else {
            report("must be an array")
            return []
        }
        var children: [JobspecResource] = []
        for (i, element) in list.enumerated() {
            if let child = at(i, { $0.checkVertex(element, under: kind) }) { children.append(child) }
        }
        if kind == .node {
            if list.count != 1 { report("must hold exactly one slot") }
        } else {
            if children.count(where: { $0.type == .core }) != 1 { report("must hold exactly one core") }
            if children.count(where: { $0.type == .gpu }) > 1 { report("must hold at most one gpu") }
        }
        return children
    }
}

extension JobspecResource {
    /// The slot of a version 1 tree: this vertex when it is the slot, else its slot child.
    var slotVertex: JobspecResource? { type == .slot ? self : child(.slot) }

    /// Slots in all: the slot count, times the node count when there is a node level.
    var totalSlots: Int? {
        guard let slot = slotVertex else { return nil }
        return type == .node ? slot.count * count : slot.count
    }
}
