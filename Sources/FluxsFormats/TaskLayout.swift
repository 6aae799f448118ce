// Where a job's tasks run: from its jobspec and its R, the tasks of each node, each
// with its global rank, its local index, and the cores and GPUs of its slot. The job
// shell launches from this; `fluxs job info ID layout` would print it. Pure.
//
// Slots: with a node level, each node holds the jobspec's slots per node; without one,
// a node holds as many slots as its allocated cores allow (cores / cores per slot). A
// slot's cores and GPUs are the node's, in ascending order, cut into slot-sized runs.
// Tasks: `per_slot: k` puts k tasks in every slot; `total: T` spreads T over all slots
// in order (node by node), the first T mod S slots taking one more. The shell option
// `per-resource` {"type": "node", "count": k} (fluxs alloc and batch: one broker a
// node; --tasks-per-node) overrides both: k tasks on every node, the node's cores and
// GPUs cut into k runs; {"type": "core", "count": k} (--tasks-per-core) puts k tasks
// on every allocated core, each bound to its core. Ranks are given node by node in ascending broker rank, so each
// node holds a block of ranks.

/// The placement of every task of a job.
public struct TaskLayout: Sendable, Hashable {
    /// One task on a node.
    public struct Task: Sendable, Hashable {
        /// The task's rank in the job (0 ..< size).
        public var rank: Int
        /// Its index among the tasks of its node.
        public var localID: Int
        /// The cores of its slot.
        public var cores: [UInt32]
        /// The GPUs of its slot.
        public var gpus: [UInt32]
    }

    /// The tasks of each broker rank, ranks in ascending order.
    public private(set) var nodes: [(rank: UInt32, tasks: [Task])]
    /// Tasks in all.
    public private(set) var size: Int

    /// The layout of `jobspec` on `R`; an error names what does not fit.
    public init(jobspec: Jobspec, R: ResourceSet) throws(ParseError) {
        let hosts = R.nodes.sorted { $0.rank < $1.rank }
        guard !hosts.isEmpty else { throw ParseError("R holds no nodes") }
        if let perResource = jobspec.shellOptions["per-resource"] {
            let kind = perResource["type"]?.stringValue
            guard kind == "node" || kind == "core", let k = perResource["count"]?.intValue, k >= 1, k <= Int64(Int32.max) else {
                throw ParseError("shell option per-resource: must be {\"type\": \"node\" or \"core\", \"count\": N} with N >= 1")
            }
            var rank = 0
            nodes = hosts.map { host in
                let cores = Array(host.cores), gpus = Array(host.gpus)
                // "node": k tasks, the node's cores and GPUs cut into k runs; "core": k
                // tasks on each core, bound to it, the GPUs cut by the node's task count.
                let count = kind == "node" ? Int(k) : Int(k) * max(cores.count, 1)
                let coreRun = max(cores.count / count, 1), gpuRun = gpus.count / count
                let tasks = (0..<count).map { index in
                    defer { rank += 1 }
                    let taskCores = kind == "core" ? (cores.isEmpty ? [] : [cores[index / Int(k)]])
                        : count == 1 ? cores : Self.run(cores, index, coreRun)
                    return Task(rank: rank, localID: index, cores: taskCores,
                                gpus: count == 1 ? gpus : Self.run(gpus, index, gpuRun))
                }
                return (host.rank, tasks)
            }
            size = rank
            return
        }
        let perSlot = jobspec.coresPerSlot
        let gpusPerSlot = jobspec.gpusPerSlot
        // Slots per node.
        var slots: [[(cores: [UInt32], gpus: [UInt32])]] = []
        for host in hosts {
            let cores = Array(host.cores)
            let gpus = Array(host.gpus)
            var count: Int
            if let nnodes = jobspec.nnodes, nnodes > 0 {
                count = jobspec.nslots / nnodes
            } else {
                count = perSlot > 0 ? cores.count / perSlot : 0
            }
            if count < 1 { count = 1 }
            var nodeSlots: [(cores: [UInt32], gpus: [UInt32])] = []
            for index in 0..<count {
                nodeSlots.append((Self.run(cores, index, perSlot), Self.run(gpus, index, gpusPerSlot)))
            }
            slots.append(nodeSlots)
        }
        let totalSlots = slots.reduce(0) { $0 + $1.count }
        // Tasks per slot, in order.
        var counts: [Int] = []
        switch jobspec.task.count {
        case .perSlot(let k):
            counts = Array(repeating: k, count: totalSlots)
        case .total(let total):
            guard total >= 1 else { throw ParseError("the jobspec asks for \(total) tasks") }
            let base = total / totalSlots
            let extra = total % totalSlots
            counts = (0..<totalSlots).map { base + ($0 < extra ? 1 : 0) }
        }
        var rank = 0
        var slotIndex = 0
        nodes = []
        for (host, nodeSlots) in zip(hosts, slots) {
            var tasks: [Task] = []
            for slot in nodeSlots {
                for _ in 0..<counts[slotIndex] {
                    tasks.append(Task(rank: rank, localID: tasks.count, cores: slot.cores, gpus: slot.gpus))
                    rank += 1
                }
                slotIndex += 1
            }
            nodes.append((host.rank, tasks))
        }
        size = rank
    }

    /// The tasks on broker rank `rank` (empty when the job has none there).
    public func tasks(onRank rank: UInt32) -> [Task] {
        nodes.first { $0.rank == rank }?.tasks ?? []
    }

    /// The shell index of a broker rank: its position among the job's nodes.
    public func shellIndex(ofRank rank: UInt32) -> Int? {
        nodes.firstIndex { $0.rank == rank }
    }

    /// The global ranks on each node, for PMI_process_mapping.
    public var ranksByNode: [[Int]] { nodes.map { $0.tasks.map(\.rank) } }

    /// Run `index` of length `length` from `ids`; the whole list when it is too short
    /// (an R with fewer cores than asked for, as in a test instance's made-up R).
    static func run(_ ids: [UInt32], _ index: Int, _ length: Int) -> [UInt32] {
        guard length > 0 else { return [] }
        let start = index * length
        guard start + length <= ids.count else { return ids.isEmpty ? [] : Array(ids.suffix(min(length, ids.count))) }
        return Array(ids[start..<(start + length)])
    }

    public static func == (a: TaskLayout, b: TaskLayout) -> Bool {
        a.size == b.size && a.nodes.map(\.rank) == b.nodes.map(\.rank) && a.nodes.map(\.tasks) == b.nodes.map(\.tasks)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(size)
        for node in nodes {
            hasher.combine(node.rank)
            hasher.combine(node.tasks)
        }
    }
}
