// The per-node view of an RFC 20 resource set: one broker rank with its hostname, cores,
// gpus and properties. A ResourceSet stores nodes by column; this is what callers see.

extension ResourceSet {
    /// One broker rank's share of a resource set: its hostname (when known), logical core
    /// and gpu ids, and properties.
    public struct Node: Sendable, Hashable {
        /// The broker rank.
        public var rank: UInt32
        /// The host the rank runs on, when known.
        public var hostname: String?
        /// Logical core ids.
        public var cores: IDSet
        /// Logical gpu ids.
        public var gpus: IDSet
        /// Property names attached to this rank (RFC 20 `execution.properties`).
        public var properties: Set<String>

        /// A node of `rank` with the given resources.
        public init(rank: UInt32, hostname: String? = nil, cores: IDSet = IDSet(), gpus: IDSet = IDSet(),
                    properties: Set<String> = []) {
            self.rank = rank
            self.hostname = hostname
            self.cores = cores
            self.gpus = gpus
            self.properties = properties
        }

        /// True when the node holds no cores and no gpus.
        public var isEmpty: Bool { cores.isEmpty && gpus.isEmpty }
    }
}
