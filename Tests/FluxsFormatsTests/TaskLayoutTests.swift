// Where tasks run: slots per node from the jobspec or from R's cores, per_slot and total
// counts, ranks given node by node, each task with its slot's cores and GPUs.
import FluxsFormats
import Testing

struct TaskLayoutTests {
    static func jobspec(_ configure: (inout JobspecRequest) -> Void) throws -> Jobspec {
        var request = JobspecRequest(command: ["app"])
        configure(&request)
        return try request.build()
    }

    static func R(_ nodes: [(UInt32, String, String)]) throws -> ResourceSet {
        ResourceSet(nodes: try nodes.map { rank, cores, gpus in
            ResourceSet.Node(rank: rank, cores: try IDSet(parsing: cores), gpus: try IDSet(parsing: gpus))
        })
    }

    @Test func twoNodesFourTasksTwoCoresEach() throws {
        let spec = try Self.jobspec { $0.nnodes = 2; $0.ntasks = 4; $0.coresPerTask = 2 }
        let layout = try TaskLayout(jobspec: spec, R: try Self.R([(3, "0-3", ""), (1, "4-7", "")]))
        #expect(layout.size == 4)
        #expect(layout.nodes.map(\.rank) == [1, 3])
        #expect(layout.tasks(onRank: 1).map(\.rank) == [0, 1])
        #expect(layout.tasks(onRank: 1).map(\.cores) == [[4, 5], [6, 7]])
        #expect(layout.tasks(onRank: 3).map(\.rank) == [2, 3])
        #expect(layout.tasks(onRank: 3).map(\.localID) == [0, 1])
        #expect(layout.shellIndex(ofRank: 3) == 1)
        #expect(layout.ranksByNode == [[0, 1], [2, 3]])
        #expect(layout.tasks(onRank: 2).isEmpty)
    }

    @Test func slotsWithoutNodesFollowTheAllocatedCores() throws {
        // -n3: three one-core slots, here two on rank 0 and one on rank 1.
        let spec = try Self.jobspec { $0.ntasks = 3 }
        let layout = try TaskLayout(jobspec: spec, R: try Self.R([(0, "0-1", ""), (1, "1", "")]))
        #expect(layout.tasks(onRank: 0).map(\.cores) == [[0], [1]])
        #expect(layout.tasks(onRank: 1).map(\.rank) == [2])
        #expect(layout.tasks(onRank: 1).map(\.cores) == [[1]])
    }

    @Test func gpusAreCutIntoSlots() throws {
        let spec = try Self.jobspec { $0.nnodes = 1; $0.ntasks = 2; $0.gpusPerTask = 1 }
        let layout = try TaskLayout(jobspec: spec, R: try Self.R([(0, "0-1", "0-1")]))
        #expect(layout.tasks(onRank: 0).map(\.gpus) == [[0], [1]])
    }

    @Test func aTotalIsSpreadOverTheSlotsFirstOnesFirst() throws {
        var spec = try Self.jobspec { $0.nnodes = 2; $0.ntasks = 2 }
        // Rewrite the count as total: 3 tasks over 2 slots.
        var json = spec.json
        json = try Self.settingTotal(json, 3)
        spec = try Jobspec(validating: json)
        let layout = try TaskLayout(jobspec: spec, R: try Self.R([(0, "0", ""), (1, "0", "")]))
        #expect(layout.tasks(onRank: 0).map(\.rank) == [0, 1])
        #expect(layout.tasks(onRank: 1).map(\.rank) == [2])
    }

    @Test func anEmptyRIsAnError() throws {
        let spec = try Self.jobspec { $0.ntasks = 1 }
        #expect(throws: ParseError.self) { try TaskLayout(jobspec: spec, R: ResourceSet()) }
    }

    static func settingTotal(_ json: JSONValue, _ total: Int) throws -> JSONValue {
        guard case .object(var top) = json, case .array(var tasks)? = top["tasks"], case .object(var task) = tasks[0] else {
            throw ParseError("unexpected jobspec shape")
        }
        task["count"] = ["total": .int(Int64(total))]
        tasks[0] = .object(task)
        top["tasks"] = .array(tasks)
        return .object(top)
    }
}

struct OutputLogTests {
    @Test func recordsRoundTripThroughEventlogEntries() throws {
        let records: [OutputRecord] = [
            .header(tasks: 4, streams: ["stderr", "stdout"]), .header(tasks: 1, streams: ["stdin"]), .data(stream: "stdout", ranks: "2", text: "hi\n"), .eof(stream: "stderr", ranks: "0-3"),
        ]
        for record in records {
            let line = record.entry(at: 1.5).line
            let entry = try EventlogEntry(parsing: line.dropLast())
            #expect(OutputRecord(entry) == record)
        }
        #expect(OutputRecord(EventlogEntry(timestamp: 0, name: "redirect")) == nil)
    }

    @Test func labelsPrefixEveryLine() {
        #expect(OutputRecord.labeled("a\nb\n", "3") == "3: a\n3: b\n")
        #expect(OutputRecord.labeled("partial", "0") == "0: partial")
    }

    @Test func templatesFillIdsAndNames() throws {
        let id = JobID(1234)
        let spec = try JobspecRequest(command: ["/bin/app"]).build()
        #expect(OutputTemplate.render("out.{{id.dec}}.{{name}}", id: id, name: "app") == "out.1234.app")
        #expect(OutputTemplate.render("plain", id: id, name: "x") == "plain")
        #expect(OutputTemplate.render("{{id}}", id: id, name: "x") == id.formatted(.f58))
        #expect(OutputTemplate.path("/abs/{{id.hex}}", id: id, jobspec: spec) == "/abs/0x4d2")
        var request = JobspecRequest(command: ["/bin/app"])
        request.cwd = "/work"
        let withCwd = try request.build()
        #expect(OutputTemplate.path("f-{{name}}", id: id, jobspec: withCwd) == "/work/f-app")
    }

    @Test func stderrGoesWithStdoutUnlessNamed() throws {
        var spec = try JobspecRequest(command: ["app"], cwd: "/w").build()
        #expect(OutputTemplate.files(id: JobID(1), jobspec: spec).isEmpty)
        try spec.setAttribute("system.shell.options.output.stdout.path", "o.{{id.dec}}")
        #expect(OutputTemplate.files(id: JobID(1), jobspec: spec) == ["stdout": "/w/o.1", "stderr": "/w/o.1"])
        try spec.setAttribute("system.shell.options.output.stderr.path", "/e")
        #expect(OutputTemplate.files(id: JobID(1), jobspec: spec) == ["stdout": "/w/o.1", "stderr": "/e"])
    }
}

struct TaskLayoutPerResourceTests {
    @Test func oneTaskPerNodeTakesTheWholeNode() throws {
        var spec = try JobspecRequest(command: ["fluxs-broker"], ntasks: 3).build()
        try spec.setAttribute("system.shell.options.per-resource", ["type": "node", "count": 1])
        let R = ResourceSet(nodes: [
            ResourceSet.Node(rank: 4, cores: try IDSet(parsing: "0-1"), gpus: try IDSet(parsing: "0")),
            ResourceSet.Node(rank: 2, cores: try IDSet(parsing: "3"), gpus: IDSet()),
        ])
        let layout = try TaskLayout(jobspec: spec, R: R)
        #expect(layout.size == 2)
        #expect(layout.tasks(onRank: 2).map(\.cores) == [[3]])
        #expect(layout.tasks(onRank: 4).map(\.rank) == [1])
        #expect(layout.tasks(onRank: 4).map(\.cores) == [[0, 1]])
        #expect(layout.tasks(onRank: 4).map(\.gpus) == [[0]])
    }

    @Test func severalTasksPerNodeSplitTheCores() throws {
        var spec = try JobspecRequest(command: ["app"], ntasks: 4).build()
        try spec.setAttribute("system.shell.options.per-resource", ["type": "node", "count": 2])
        let R = ResourceSet(nodes: [ResourceSet.Node(rank: 0, cores: try IDSet(parsing: "0-3"))])
        let layout = try TaskLayout(jobspec: spec, R: R)
        #expect(layout.tasks(onRank: 0).map(\.cores) == [[0, 1], [2, 3]])
    }

    @Test func tasksPerCoreBindEachTaskToItsCore() throws {
        var spec = try JobspecRequest(command: ["app"], nnodes: 2).build()
        try spec.setAttribute("system.shell.options.per-resource", ["type": "core", "count": 2])
        let R = ResourceSet(nodes: [
            ResourceSet.Node(rank: 0, cores: try IDSet(parsing: "0-1")),
            ResourceSet.Node(rank: 1, cores: try IDSet(parsing: "4")),
        ])
        let layout = try TaskLayout(jobspec: spec, R: R)
        #expect(layout.size == 6)
        #expect(layout.tasks(onRank: 0).map(\.cores) == [[0], [0], [1], [1]])
        #expect(layout.tasks(onRank: 0).map(\.localID) == [0, 1, 2, 3])
        #expect(layout.tasks(onRank: 1).map(\.cores) == [[4], [4]])
        #expect(layout.tasks(onRank: 1).map(\.rank) == [4, 5])
    }

    @Test func onlyNodesAndCoresAreResources() throws {
        var spec = try JobspecRequest(command: ["app"]).build()
        try spec.setAttribute("system.shell.options.per-resource", ["type": "socket", "count": 1])
        #expect(throws: ParseError.self) {
            try TaskLayout(jobspec: spec, R: ResourceSet(nodes: [ResourceSet.Node(rank: 0, cores: IDSet([0]))]))
        }
    }
}
