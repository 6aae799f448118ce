// The typed resource tree of a version 1 jobspec (RFC 25): one of
//   slot>core, slot>(core,gpu), node>slot>core, node>slot>(core,gpu).
// Values of this type come out of validation, so counts are positive and the shape
// is one of those four.

/// One vertex of a validated version 1 jobspec's resource tree.
public struct JobspecResource: Sendable, Hashable {
    /// The resource types version 1 knows.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A node: optional, and only at the top.
        case node
        /// A task slot: under a node or at the top; it carries the label tasks refer to.
        case slot
        /// A core: exactly one core vertex per slot.
        case core
        /// A GPU: at most one gpu vertex per slot.
        case gpu
    }

    /// The vertex type.
    public var type: Kind
    /// How many of this resource each parent gets (a fixed positive count in version 1).
    public var count: Int
    /// The `exclusive` flag when the document sets one, else nil.
    public var exclusive: Bool?
    /// The label (always set on a slot).
    public var label: String?
    /// The unit of `count`, when given.
    public var unit: String?
    /// The children (`with`), empty for core and gpu.
    public var with: [JobspecResource]

    /// Makes a vertex.
    public init(
        type: Kind, count: Int, exclusive: Bool? = nil, label: String? = nil, unit: String? = nil,
        with: [JobspecResource] = []
    ) {
        self.type = type
        self.count = count
        self.exclusive = exclusive
        self.label = label
        self.unit = unit
        self.with = with
    }

    /// The first child of type `kind`, if any.
    public func child(_ kind: Kind) -> JobspecResource? {
        with.first { $0.type == kind }
    }
}
