// The command line's request (-N, -n, -c, -g, --exclusive, -t) built into a version 1
// jobspec, compared with the document flux-core's JobspecV1.from_command (behind
// `flux submit`) produces for the same options.
import FluxsFormats
import Testing

@Suite struct JobspecRequestTests {
    /// The resources flux-core builds: node(nodes) > slot(slots) > core(cores) [+ gpu(gpus)],
    /// or slot(slots) > ... without nodes.
    static func resources(nodes: Int? = nil, exclusive: Bool = false, slots: Int, cores: Int = 1, gpus: Int = 0) -> JSONValue {
        var children: [JSONValue] = [["type": "core", "count": .int(Int64(cores))]]
        if gpus > 0 { children.append(["type": "gpu", "count": .int(Int64(gpus))]) }
        let slot: JSONValue = ["type": "slot", "count": .int(Int64(slots)), "label": "task", "with": .array(children)]
        guard let nodes else { return [slot] }
        var node: [String: JSONValue] = ["type": "node", "count": .int(Int64(nodes)), "with": [slot]]
        if exclusive { node["exclusive"] = true }
        return [.object(node)]
    }

    /// The whole document flux-core builds, with an empty environment.
    static func document(_ resources: JSONValue, count: JSONValue = ["per_slot": 1], duration: JSONValue = 0) -> JSONValue {
        [
            "version": 1, "resources": resources,
            "tasks": [["command": ["hostname"], "slot": "task", "count": count]],
            "attributes": ["system": ["duration": duration, "environment": [:]]],
        ]
    }

    /// (options as typed, request, expected document)
    static let cases: [(String, JobspecRequest, JSONValue)] = [
        ("(none)", .init(command: ["hostname"]), document(resources(slots: 1))),
        ("-n4 -c2", .init(command: ["hostname"], ntasks: 4, coresPerTask: 2), document(resources(slots: 4, cores: 2))),
        ("-n4 -c2 -g1", .init(command: ["hostname"], ntasks: 4, coresPerTask: 2, gpusPerTask: 1),
            document(resources(slots: 4, cores: 2, gpus: 1))),
        ("-n2 -g0", .init(command: ["hostname"], ntasks: 2, gpusPerTask: 0), document(resources(slots: 2))),
        ("-N2", .init(command: ["hostname"], nnodes: 2), document(resources(nodes: 2, exclusive: true, slots: 1))),
        ("-N2 -n4", .init(command: ["hostname"], ntasks: 4, nnodes: 2), document(resources(nodes: 2, slots: 2))),
        ("-N2 -n3", .init(command: ["hostname"], ntasks: 3, nnodes: 2),
            document(resources(nodes: 2, slots: 2), count: ["total": 3])),
        ("-N4 -n5", .init(command: ["hostname"], ntasks: 5, nnodes: 4),
            document(resources(nodes: 4, slots: 2), count: ["total": 5])),
        ("-N2 -n3 -c2 -g1 --exclusive", .init(command: ["hostname"], ntasks: 3, nnodes: 2, coresPerTask: 2,
            gpusPerTask: 1, exclusive: true),
            document(resources(nodes: 2, exclusive: true, slots: 2, cores: 2, gpus: 1), count: ["total": 3])),
        ("-N1 -n1 --exclusive", .init(command: ["hostname"], ntasks: 1, nnodes: 1, exclusive: true),
            document(resources(nodes: 1, exclusive: true, slots: 1))),
        ("-t 10m", .init(command: ["hostname"], duration: 600), document(resources(slots: 1), duration: 600.0)),
        ("-t 0", .init(command: ["hostname"], duration: 0), document(resources(slots: 1), duration: 0.0)),
    ]

    @Test(arguments: cases)
    func buildsWhatFromCommandBuilds(_ options: String, _ request: JobspecRequest, _ expected: JSONValue) throws {
        #expect(try request.build().json == expected, "\(options)")
    }

    /// (options, request, nnodes, nslots, ntasks, exclusive)
    static let shapes: [(String, JobspecRequest, Int?, Int, Int, Bool)] = [
        ("-n8", .init(command: ["a"], ntasks: 8), nil, 8, 8, false),
        ("-N3", .init(command: ["a"], nnodes: 3), 3, 3, 3, true),
        ("-N3 -n7", .init(command: ["a"], ntasks: 7, nnodes: 3), 3, 9, 7, false),
        ("-N2 -n2147483647", .init(command: ["a"], ntasks: 2_147_483_647, nnodes: 2), 2, 2_147_483_648, 2_147_483_647, false),
    ]

    @Test(arguments: shapes)
    func computesTotals(
        _ options: String, _ request: JobspecRequest, _ nnodes: Int?, _ nslots: Int, _ ntasks: Int, _ exclusive: Bool
    ) throws {
        let jobspec = try request.build()
        #expect(jobspec.nnodes == nnodes, "\(options)")
        #expect(jobspec.nslots == nslots, "\(options)")
        #expect(jobspec.ntasks == ntasks, "\(options)")
        #expect(jobspec.exclusive == exclusive, "\(options)")
    }

    @Test func optionalAttributes() throws {
        let request = JobspecRequest(
            command: ["app", "--in", "x y"], duration: 90.5, cwd: "/scratch/run",
            environment: ["PATH": "/bin", "EMPTY": ""], jobName: "probe")
        let jobspec = try request.build()
        #expect(jobspec.duration == 90.5)
        #expect(jobspec.cwd == "/scratch/run")
        #expect(jobspec.environment == ["PATH": "/bin", "EMPTY": ""])
        #expect(jobspec.jobName == "probe")
        #expect(jobspec.task.command == ["app", "--in", "x y"])
        #expect(jobspec.attribute("system.job") == ["name": "probe"])
    }

    /// (options, request, exact error)
    static let refused: [(String, JobspecRequest, String)] = [
        ("no command", .init(command: []), "the command is missing"),
        ("-n0", .init(command: ["a"], ntasks: 0), "task count (-n) must be >= 1 (got 0)"),
        ("-n -3", .init(command: ["a"], ntasks: -3), "task count (-n) must be >= 1 (got -3)"),
        ("-n2147483648", .init(command: ["a"], ntasks: 2_147_483_648), "task count (-n) must be at most 2147483647 (got 2147483648)"),
        ("-c0", .init(command: ["a"], coresPerTask: 0), "cores per task (-c) must be >= 1 (got 0)"),
        ("-g -1", .init(command: ["a"], gpusPerTask: -1), "gpus per task (-g) must be >= 0 (got -1)"),
        ("-N0", .init(command: ["a"], nnodes: 0), "node count (-N) must be >= 1 (got 0)"),
        ("-N0 -n4", .init(command: ["a"], ntasks: 4, nnodes: 0), "node count (-N) must be >= 1 (got 0)"),
        ("-N3 -n2", .init(command: ["a"], ntasks: 2, nnodes: 3), "node count (-N 3) must not be greater than task count (-n 2)"),
        ("--exclusive", .init(command: ["a"], exclusive: true), "exclusive (--exclusive) needs a node count (-N)"),
        ("-t -1", .init(command: ["a"], duration: -1), "time limit (-t) must be a finite number of seconds >= 0 (got -1.0)"),
        ("-t inf", .init(command: ["a"], duration: .infinity), "time limit (-t) must be a finite number of seconds >= 0 (got inf)"),
        ("-g2147483648", .init(command: ["a"], gpusPerTask: 2_147_483_648),
            "gpus per task (-g) must be at most 2147483647 (got 2147483648)"),
    ]

    @Test(arguments: refused)
    func refusesWithClearMessage(_ options: String, _ request: JobspecRequest, _ message: String) {
        #expect(throws: ParseError("jobspec request: " + message), "\(options)") { try request.build() }
    }
}

/// The per-resource options, against flux-core's JobspecV1.per_resource.
struct JobspecRequestPerResourceTests {
    typealias PerResource = JobspecRequest.PerResource

    static func slot(_ count: Int, cores: Int, gpus: Int = 0) -> JSONValue {
        var with: [JSONValue] = [["type": "core", "count": .int(Int64(cores))]]
        if gpus > 0 { with.append(["type": "gpu", "count": .int(Int64(gpus))]) }
        return ["type": "slot", "count": .int(Int64(count)), "label": "task", "with": .array(with)]
    }

    /// (options, request, resources, shell option per-resource)
    static let cases: [(String, JobspecRequest, JSONValue, JSONValue?)] = [
        ("-N2 --tasks-per-node=4", .init(command: ["a"], nnodes: 2, perResource: PerResource(tasksPerNode: 4)),
         ["type": "node", "count": 2, "exclusive": true, "with": [slot(1, cores: 1)]], ["type": "node", "count": 4]),
        ("-N2 --cores=8 --gpus-per-node=1 --tasks-per-core=2",
         .init(command: ["a"], nnodes: 2, perResource: PerResource(cores: 8, tasksPerCore: 2, gpusPerNode: 1)),
         ["type": "node", "count": 2, "with": [slot(1, cores: 4, gpus: 1)]], ["type": "core", "count": 2]),
        ("--cores=3", .init(command: ["a"], perResource: PerResource(cores: 3)), slot(3, cores: 1), nil),
        ("--cores=4 --tasks-per-node=1", .init(command: ["a"], perResource: PerResource(cores: 4, tasksPerNode: 1)),
         slot(4, cores: 1), ["type": "node", "count": 1]),
    ]

    @Test(arguments: cases)
    func buildsWhatPerResourceBuilds(_ options: String, _ request: JobspecRequest, _ resources: JSONValue, _ option: JSONValue?) throws {
        let jobspec = try request.build()
        #expect(jobspec.json["resources"] == [resources], "\(options)")
        #expect(jobspec.json["tasks"]?.arrayValue?.first?["count"] == ["per_slot": 1], "\(options)")
        #expect(jobspec.attribute("system.shell.options.per-resource") == option, "\(options)")
    }

    /// (options, request, flux-core's message)
    static let refused: [(String, JobspecRequest, String)] = [
        ("both per", .init(command: ["a"], nnodes: 1, perResource: PerResource(tasksPerNode: 1, tasksPerCore: 1)),
         "Do not specify both the number of tasks per node and per core"),
        ("gpus without -N", .init(command: ["a"], perResource: PerResource(cores: 2, gpusPerNode: 1)), "--gpus-per-node requires --nodes"),
        ("-N2 --cores=3", .init(command: ["a"], nnodes: 2, perResource: PerResource(cores: 3)),
         "number of cores must be evenly divisible by node count"),
        ("-N2 --cores=1", .init(command: ["a"], nnodes: 2, perResource: PerResource(cores: 1)), "number of cores cannot be less than nnodes"),
        ("no count", .init(command: ["a"], perResource: PerResource(tasksPerNode: 2)), "must specify node or core count with per_resource"),
        ("--tasks-per-core=0", .init(command: ["a"], nnodes: 1, perResource: PerResource(tasksPerCore: 0)),
         "--tasks-per-core must be >= 1 (got 0)"),
    ]

    @Test(arguments: refused)
    func refusesAsFluxDoes(_ options: String, _ request: JobspecRequest, _ message: String) {
        #expect(throws: ParseError("jobspec request: " + message), "\(options)") { try request.build() }
    }
}
