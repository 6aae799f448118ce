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

    /// Makes a request; every parameter but `command` has the command line's default.
    public init(
        command: [String], ntasks: Int? = nil, nnodes: Int? = nil, coresPerTask: Int = 1,
        gpusPerTask: Int = 0, exclusive: Bool = false, duration: Double? = nil, cwd: String? = nil,
        environment: [String: String] = [:], jobName: String? = nil
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
    }

    /// Builds the jobspec. Throws `ParseError` naming the option at fault.
    public func build() throws(ParseError) -> Jobspec {
        let shape = try resolvedShape()
        var system: [String: JSONValue] = [
            "duration": duration.map(JSONValue.double) ?? .int(0),
            "environment": .object(environment.mapValues(JSONValue.string)),
        ]
        if let cwd { system["cwd"] = .string(cwd) }
        if let jobName { system["job"] = ["name": .string(jobName)] }
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

    /// The resources and task count after the defaults and the consistency checks.
    private func resolvedShape() throws(ParseError) -> (resources: JSONValue, taskCount: JSONValue) {
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
            return (Self.slot(count: tasks, children), ["per_slot": 1])
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
        return (.object(node), taskCount)
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
