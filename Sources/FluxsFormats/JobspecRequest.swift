// The command line's simple resource request (`fluxs submit -N2 -n4 -c2 -g1
// --exclusive -t 10m cmd`) turned into a version 1 jobspec, with the same rules and
// the same resulting document as flux-core's `JobspecV1.from_command` behind
// `flux submit`:
//   - without -n, -N N means one task per node and whole nodes (exclusive);
//     otherwise one task;
//   - tasks >= 1, cores per task >= 1, gpus per task >= 0, nodes >= 1 and no more
//     nodes than tasks; --exclusive needs a node count;
//   - with N nodes: node(N, exclusive if asked) > slot(ceil(n / N), label "task");
//     tasks run one per slot when N divides n, else `total: n` (slots left idle);
//     without nodes: slot(n, label "task");
//   - each slot holds core(c) and, when g > 0, gpu(g);
//   - attributes.system: duration (0 when unset: unlimited), environment (always),
//     cwd and job.name when given.
// The per-resource options (--cores, --tasks-per-node, --tasks-per-core,
// --gpus-per-node) build what flux-core's `JobspecV1.per_resource` builds instead:
//   - --cores C with -N N: node(N) > slot(1) > core(C / N) (N divides C, C >= N);
//     --cores C alone: slot(C) > core(1); -N N alone: node(N, exclusive) > slot(1) >
//     core(1); -N without --cores is always exclusive;
//   - --gpus-per-node G (needs -N): gpu(G) beside the core in the slot;
//   - tasks `per_slot: 1`, and with --tasks-per-node K or --tasks-per-core K the shell
//     option `per-resource` {"type": "node"|"core", "count": K}, which the shell
//     (TaskLayout) honours: K tasks on each node, or on each allocated core.

/// A simple resource request, as the submit command line gives it.
public struct JobspecRequest: Sendable, Hashable {
    /// The command and its arguments.
    public var command: [String]
    /// Number of tasks (-n); nil means one per node with -N (and whole nodes), else 1.
    public var ntasks: Int?
    /// Number of nodes to spread the tasks over (-N), if any.
    public var nnodes: Int?
    /// Cores per task (-c).
    public var coresPerTask: Int
    /// GPUs per task (-g); 0 means none.
    public var gpusPerTask: Int
    /// Whole nodes (--exclusive); needs `nnodes`.
    public var exclusive: Bool
    /// Time limit in seconds (-t); nil means unlimited.
    public var duration: Double?
    /// Working directory for the tasks.
    public var cwd: String?
    /// Environment for the tasks.
    public var environment: [String: String]
    /// Job name (`attributes.system.job.name`).
    public var jobName: String?
    /// The per-resource options, when any was given (then `ntasks`, `coresPerTask` and
    /// `gpusPerTask` are not used; the caller refuses a mix).
    public var perResource: PerResource?

    /// Flux's per-resource options (common/job-param-perres.rst).
    public struct PerResource: Sendable, Hashable {
        /// Total cores (--cores).
        public var cores: Int?
        /// Tasks on each node (--tasks-per-node).
        public var tasksPerNode: Int?
        /// Tasks on each allocated core (--tasks-per-core).
        public var tasksPerCore: Int?
        /// GPUs on each node (--gpus-per-node; needs a node count).
        public var gpusPerNode: Int?

        /// Makes a per-resource request.
        public init(cores: Int? = nil, tasksPerNode: Int? = nil, tasksPerCore: Int? = nil, gpusPerNode: Int? = nil) {
            self.cores = cores
            self.tasksPerNode = tasksPerNode
            self.tasksPerCore = tasksPerCore
            self.gpusPerNode = gpusPerNode
        }
    }

    /// Makes a request; every parameter but `command` has the command line's default.
    public init(
        command: [String], ntasks: Int? = nil, nnodes: Int? = nil, coresPerTask: Int = 1,
        gpusPerTask: Int = 0, exclusive: Bool = false, duration: Double? = nil, cwd: String? = nil,
        environment: [String: String] = [:], jobName: String? = nil, perResource: PerResource? = nil
    ) {
        self.command = command
        self.ntasks = ntasks
        self.nnodes = nnodes
        self.coresPerTask = coresPerTask
        self.gpusPerTask = gpusPerTask
        self.exclusive = exclusive
        self.duration = duration
        self.cwd = cwd
        self.environment = environment
        self.jobName = jobName
        self.perResource = perResource
    }

    /// Builds the jobspec. Throws `ParseError` naming the option at fault.
    public func build() throws(ParseError) -> Jobspec {
        let shape: (resources: JSONValue, taskCount: JSONValue, perResource: JSONValue?)
        if let perResource { shape = try perResourceShape(perResource) } else { shape = try resolvedShape() }
        var system: [String: JSONValue] = [
            "duration": duration.map(JSONValue.double) ?? .int(0),
            "environment": .object(environment.mapValues(JSONValue.string)),
        ]
        if let cwd { system["cwd"] = .string(cwd) }
        if let jobName { system["job"] = ["name": .string(jobName)] }
        if let option = shape.perResource { system["shell"] = ["options": ["per-resource": option]] }
        let json: JSONValue = [
            "version": 1,
            "resources": [shape.resources],
            "tasks": [["command": .array(command.map(JSONValue.string)), "slot": "task", "count": shape.taskCount]],
            "attributes": ["system": .object(system)],
        ]
        do {
            return try Jobspec(validating: json)
        } catch {
            throw ParseError("jobspec request: \(error.problems.map(\.description).joined(separator: "; "))")
        }
    }

    /// The resources, task count and shell option `per-resource` of the per-resource
    /// options, with flux-core's checks and messages.
    private func perResourceShape(_ request: PerResource) throws(ParseError)
        -> (resources: JSONValue, taskCount: JSONValue, perResource: JSONValue?) {
        if command.isEmpty { throw Self.error("the command is missing") }
        var option: JSONValue?
        switch (request.tasksPerNode, request.tasksPerCore) {
        case (.some, .some): throw Self.error("Do not specify both the number of tasks per node and per core")
        case (.some(let k), nil):
            option = ["type": "node", "count": .int(Int64(try Self.checked(k, "--tasks-per-node", atLeast: 1)))]
        case (nil, .some(let k)):
            option = ["type": "core", "count": .int(Int64(try Self.checked(k, "--tasks-per-core", atLeast: 1)))]
        case (nil, nil): break
        }
        if let gpus = request.gpusPerNode {
            _ = try Self.checked(gpus, "--gpus-per-node", atLeast: 0)
            if nnodes == nil { throw Self.error("--gpus-per-node requires --nodes") }
        }
        if let cores = request.cores { _ = try Self.checked(cores, "--cores", atLeast: 1) }
        if let nnodes { _ = try Self.checked(nnodes, "node count (-N)", atLeast: 1) }
        if nnodes == nil, exclusive { throw Self.error("exclusive can only be set with a node count") }
        if let duration, !(duration.isFinite && duration >= 0) {
            throw Self.error("time limit (-t) must be a finite number of seconds >= 0 (got \(duration))")
        }
        let nslots: Int, slotSize: Int
        switch (nnodes, request.cores) {
        case (.some(let nodes), .some(let cores)):
            if cores < nodes { throw Self.error("number of cores cannot be less than nnodes") }
            if cores % nodes != 0 { throw Self.error("number of cores must be evenly divisible by node count") }
            (nslots, slotSize) = (1, cores / nodes)
        case (nil, .some(let cores)): (nslots, slotSize) = (cores, 1)
        case (.some, nil): (nslots, slotSize) = (1, 1)
        case (nil, nil): throw Self.error("must specify node or core count with per_resource")
        }
        var children: [JSONValue] = [["type": "core", "count": .int(Int64(slotSize))]]
        if let gpus = request.gpusPerNode, gpus > 0 { children.append(["type": "gpu", "count": .int(Int64(gpus))]) }
        let slot = Self.slot(count: nslots, children)
        guard let nnodes else { return (slot, ["per_slot": 1], option) }
        var node: [String: JSONValue] = ["type": "node", "count": .int(Int64(nnodes)), "with": [slot]]
        // -N without --cores asks for whole nodes, as in flux-core.
        if exclusive || request.cores == nil { node["exclusive"] = true }
        return (.object(node), ["per_slot": 1], option)
    }

    /// The resources and task count after the defaults and the consistency checks.
    private func resolvedShape() throws(ParseError) -> (resources: JSONValue, taskCount: JSONValue, perResource: JSONValue?) {
        if command.isEmpty { throw Self.error("the command is missing") }
        var nodes: Int?
        if let nnodes { nodes = try Self.checked(nnodes, "node count (-N)", atLeast: 1) }
        let tasks = try Self.checked(ntasks ?? nodes ?? 1, "task count (-n)", atLeast: 1)
        let cores = try Self.checked(coresPerTask, "cores per task (-c)", atLeast: 1)
        let gpus = try Self.checked(gpusPerTask, "gpus per task (-g)", atLeast: 0)
        if let duration, !(duration.isFinite && duration >= 0) {
            throw Self.error("time limit (-t) must be a finite number of seconds >= 0 (got \(duration))")
        }
        var children: [JSONValue] = [["type": "core", "count": .int(Int64(cores))]]
        if gpus > 0 { children.append(["type": "gpu", "count": .int(Int64(gpus))]) }

        guard let nodes else {
            if exclusive { throw Self.error("exclusive (--exclusive) needs a node count (-N)") }
            return (Self.slot(count: tasks, children), ["per_slot": 1], nil)
        }
        if nodes > tasks {
            throw Self.error("node count (-N \(nodes)) must not be greater than task count (-n \(tasks))")
        }
        let slotsPerNode = (tasks + nodes - 1) / nodes
        var node: [String: JSONValue] = [
            "type": "node", "count": .int(Int64(nodes)), "with": [Self.slot(count: slotsPerNode, children)],
        ]
        // Without -n, -N asks for whole nodes, as `flux submit -N` does.
        if exclusive || ntasks == nil { node["exclusive"] = true }
        let taskCount: JSONValue = tasks % nodes == 0 ? ["per_slot": 1] : ["total": .int(Int64(tasks))]
        return (.object(node), taskCount, nil)
    }

    private static func slot(count: Int, _ children: [JSONValue]) -> JSONValue {
        ["type": "slot", "count": .int(Int64(count)), "label": "task", "with": .array(children)]
    }

    /// `value` when it lies in `minimum...Int32.max`, else an error naming `what`.
    private static func checked(_ value: Int, _ what: String, atLeast minimum: Int) throws(ParseError) -> Int {
        if value < minimum { throw error("\(what) must be >= \(minimum) (got \(value))") }
        if value > Int(Int32.max) { throw error("\(what) must be at most \(Int32.max) (got \(value))") }
        return value
    }

    private static func error(_ message: String) -> ParseError {
        ParseError("jobspec request: " + message)
    }
}
