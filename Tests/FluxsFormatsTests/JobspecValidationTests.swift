// Version 1 jobspec validation (RFC 25): a table of broken documents, each with the
// exact list of problems it must produce, in document order; plus the typed views of
// valid documents.
import FluxsFormats
import Testing

/// Small valid documents to break one piece at a time.
enum JobspecSamples {
    static let core: JSONValue = ["type": "core", "count": 2]
    static let slot: JSONValue = ["type": "slot", "count": 3, "label": "task", "with": [core]]
    static let node: JSONValue = ["type": "node", "count": 2, "with": [slot]]
    static let task: JSONValue = ["command": ["app", "-v"], "slot": "task", "count": ["per_slot": 1]]
    static let attributes: JSONValue = ["system": ["duration": 0]]

    /// A jobspec made of the given sections (nil leaves a section out).
    static func document(
        version: JSONValue? = 1, resources: JSONValue? = [node], tasks: JSONValue? = [task],
        attributes: JSONValue? = attributes, extra: [String: JSONValue] = [:]
    ) -> JSONValue {
        var top = extra
        top["version"] = version
        top["resources"] = resources
        top["tasks"] = tasks
        top["attributes"] = attributes
        return .object(top)
    }

    /// A node>slot>(children) document.
    static func withSlotChildren(_ children: JSONValue) -> JSONValue {
        document(resources: [["type": "node", "count": 1, "with": [
            ["type": "slot", "count": 1, "label": "task", "with": children]]]])
    }

    /// A slot>core document whose slot has the given members replaced.
    static func withSlot(_ members: [String: JSONValue?]) -> JSONValue {
        guard case .object(var object) = slot else { fatalError("sample slot is an object") }
        for (key, value) in members { object[key] = value }
        return document(resources: [.object(object)])
    }

    /// A document whose single task has the given members replaced.
    static func withTask(_ members: [String: JSONValue?]) -> JSONValue {
        guard case .object(var object) = task else { fatalError("sample task is an object") }
        for (key, value) in members { object[key] = value }
        return document(tasks: [.object(object)])
    }

    /// A document whose `attributes.system` has the given members replaced.
    static func withSystem(_ members: [String: JSONValue?]) -> JSONValue {
        var system: [String: JSONValue] = ["duration": 0]
        for (key, value) in members { system[key] = value }
        return document(attributes: ["system": .object(system)])
    }
}

@Suite struct JobspecValidationTests {
    typealias S = JobspecSamples

    static let countRange =
        "must be a fixed integer: count ranges (min, max, operator, operand) are not allowed in version 1"
    static let unknown = "is not allowed in jobspec version 1"
    static let seconds = "must be a finite number of seconds >= 0"

    /// (what, document, exact problems in order)
    static let invalid: [(String, JSONValue, [String])] = [
        // Top level.
        ("not an object", "jobspec", ["jobspec: must be an object"]),
        ("empty object", [:], [
            "attributes: is required", "resources: is required", "tasks: is required", "version: is required",
        ]),
        ("version 2", S.document(version: 2), ["version: must be 1 (only jobspec version 1 is supported)"]),
        ("version as string", S.document(version: "1"), ["version: must be 1 (only jobspec version 1 is supported)"]),
        ("unknown top-level key", S.document(extra: ["priority": 16]), ["priority: \(unknown)"]),
        // Resource list.
        ("resources not an array", S.document(resources: ["type": "slot"]), ["resources: must be an array"]),
        ("no resources", S.document(resources: []), [
            "resources: must hold exactly one resource (a node or a slot) in version 1",
        ]),
        ("two resources", S.document(resources: [S.node, S.node]), [
            "resources: must hold exactly one resource (a node or a slot) in version 1",
        ]),
        ("vertex not an object", S.document(resources: ["node"]), ["resources[0]: must be an object"]),
        ("core at the top", S.document(resources: [S.core]), [
            "resources[0].type: must be node or slot at the top of resources",
        ]),
        // Types.
        ("type missing", S.document(resources: [["count": 1, "with": [S.slot]]]), ["resources[0].type: is required"]),
        ("type not a string", S.document(resources: [["type": 7, "count": 1]]), ["resources[0].type: must be a string"]),
        ("type unknown", S.document(resources: [["type": "socket", "count": 1]]), [
            "resources[0].type: unknown resource type \"socket\" (version 1 knows node, slot, core and gpu)",
        ]),
        ("core under a node", S.document(resources: [["type": "node", "count": 1, "with": [S.core]]]), [
            "resources[0].with[0].type: must be slot under a node",
        ]),
        ("node under a slot (RFC 14 slot>node)", S.withSlot(["with": [["type": "node", "count": 1]]]), [
            "resources[0].with: must hold exactly one core",
            "resources[0].with[0].type: must be core or gpu under a slot",
        ]),
        // Counts.
        ("count missing", S.withSlot(["count": nil]), ["resources[0].count: is required"]),
        ("count zero", S.withSlot(["count": 0]), ["resources[0].count: must be a positive integer"]),
        ("count negative", S.withSlot(["count": -4]), ["resources[0].count: must be a positive integer"]),
        ("count real", S.withSlot(["count": 2.5]), ["resources[0].count: must be a positive integer"]),
        ("count boolean", S.withSlot(["count": true]), ["resources[0].count: must be a positive integer"]),
        ("count too big", S.withSlot(["count": 2_147_483_648]), ["resources[0].count: must be at most 2147483647"]),
        ("count range object", S.withSlot(["count": ["min": 1, "max": 4]]), ["resources[0].count: \(countRange)"]),
        ("count range string", S.withSlot(["count": "1-4"]), [
            "resources[0].count: must be a fixed integer: idset and range strings are not allowed in version 1",
        ]),
        ("gpu count negative", S.withSlotChildren([S.core, ["type": "gpu", "count": -1]]), [
            "resources[0].with[0].with[1].count: must be an integer, 0 or more",
        ]),
        ("core count zero", S.withSlotChildren([["type": "core", "count": 0]]), [
            "resources[0].with[0].with[0].count: must be a positive integer",
        ]),
        // Other vertex keys.
        ("exclusive not boolean", S.withSlot(["exclusive": "yes"]), ["resources[0].exclusive: must be a boolean"]),
        ("slot without label", S.withSlot(["label": nil]), ["resources[0].label: is required for a slot"]),
        ("label not a string", S.withSlot(["label": 5]), ["resources[0].label: must be a string"]),
        ("unit not a string", S.withSlot(["unit": 5]), ["resources[0].unit: must be a string"]),
        ("id is canonical only", S.withSlot(["id": "0-3"]), ["resources[0].id: \(unknown)"]),
        // Children.
        ("slot without with", S.withSlot(["with": nil]), ["resources[0].with: is required"]),
        ("with not an array", S.withSlot(["with": S.core]), ["resources[0].with: must be an array"]),
        ("node with two slots", S.document(resources: [["type": "node", "count": 1, "with": [S.slot, S.slot]]]), [
            "resources[0].with: must hold exactly one slot",
        ]),
        ("node with nothing", S.document(resources: [["type": "node", "count": 1, "with": []]]), [
            "resources[0].with: must hold exactly one slot",
        ]),
        ("slot with gpu only", S.withSlot(["with": [["type": "gpu", "count": 1]]]), [
            "resources[0].with: must hold exactly one core",
        ]),
        ("slot with two cores", S.withSlot(["with": [S.core, S.core]]), [
            "resources[0].with: must hold exactly one core",
        ]),
        ("slot with two gpus", S.withSlotChildren([S.core, ["type": "gpu", "count": 1], ["type": "gpu", "count": 1]]), [
            "resources[0].with[0].with: must hold at most one gpu",
        ]),
        ("core with children", S.withSlot(["with": [["type": "core", "count": 1, "with": [S.core]]]]), [
            "resources[0].with[0].with: is not allowed: core and gpu cannot contain other resources",
        ]),
        // Task list.
        ("tasks not an array", S.document(tasks: S.task), ["tasks: must be an array"]),
        ("no task", S.document(tasks: []), ["tasks: must hold exactly one task in version 1"]),
        ("two tasks", S.document(tasks: [S.task, S.task]), ["tasks: must hold exactly one task in version 1"]),
        ("task not an object", S.document(tasks: ["app"]), ["tasks[0]: must be an object"]),
        // Command.
        ("command missing", S.withTask(["command": nil]), ["tasks[0].command: is required"]),
        ("command a string", S.withTask(["command": "app"]), [
            "tasks[0].command: must be an array of strings, not a single string",
        ]),
        ("command a number", S.withTask(["command": 5]), ["tasks[0].command: must be an array of strings"]),
        ("command empty", S.withTask(["command": []]), ["tasks[0].command: must not be empty"]),
        ("command with non-strings", S.withTask(["command": [1, "x", nil]]), [
            "tasks[0].command[0]: must be a string", "tasks[0].command[2]: must be a string",
        ]),
        // Slot name.
        ("slot missing", S.withTask(["slot": nil]), ["tasks[0].slot: is required"]),
        ("slot not a string", S.withTask(["slot": 3]), ["tasks[0].slot: must be a string"]),
        ("slot names no label", S.withTask(["slot": "other"]), [
            "tasks[0].slot: must be the slot label \"task\", not \"other\"",
        ]),
        // Task count.
        ("count missing", S.withTask(["count": nil]), ["tasks[0].count: is required"]),
        ("count not an object", S.withTask(["count": 3]), ["tasks[0].count: must be an object"]),
        ("count empty", S.withTask(["count": [:]]), ["tasks[0].count: must have exactly one of per_slot or total"]),
        ("count both", S.withTask(["count": ["per_slot": 1, "total": 2]]), [
            "tasks[0].count: must have exactly one of per_slot or total",
        ]),
        ("per_slot zero", S.withTask(["count": ["per_slot": 0]]), ["tasks[0].count.per_slot: must be a positive integer"]),
        ("total a string", S.withTask(["count": ["total": "4"]]), ["tasks[0].count.total: must be a positive integer"]),
        ("per_resource", S.withTask(["count": ["per_resource": ["type": "node", "count": 1]]]), [
            "tasks[0].count: must have exactly one of per_slot or total",
            "tasks[0].count.per_resource: is not allowed in version 1 (use per_slot or total)",
        ]),
        ("unknown count key", S.withTask(["count": ["per_slot": 1, "per_core": 1]]), [
            "tasks[0].count.per_core: \(unknown)",
        ]),
        ("too many tasks", S.document(resources: [["type": "node", "count": 2, "with": [
            ["type": "slot", "count": 2_147_483_647, "label": "task", "with": [S.core]]]]]), [
            "tasks[0].count: asks for more than 2147483647 tasks in all",
        ]),
        // Other task keys.
        ("task attributes not an object", S.withTask(["attributes": 5]), ["tasks[0].attributes: must be an object"]),
        ("distribution not a string", S.withTask(["distribution": 5]), ["tasks[0].distribution: must be a string"]),
        ("unknown task key", S.withTask(["env": ["A": "1"]]), ["tasks[0].env: \(unknown)"]),
        // Attribute sections.
        ("attributes not an object", S.document(attributes: []), ["attributes: must be an object"]),
        ("system missing", S.document(attributes: ["user": ["a": 1]]), ["attributes.system: is required"]),
        ("unknown section", S.document(attributes: ["system": ["duration": 0], "sched": ["a": 1]]), [
            "attributes.sched: is not an attributes section (only system and user are allowed)",
        ]),
        ("user empty", S.document(attributes: ["system": ["duration": 0], "user": [:]]), [
            "attributes.user: must not be empty",
        ]),
        ("user not an object", S.document(attributes: ["system": ["duration": 0], "user": 3]), [
            "attributes.user: must be an object",
        ]),
        ("system not an object", S.document(attributes: ["system": 3]), ["attributes.system: must be an object"]),
        // System attributes.
        ("duration missing", S.document(attributes: ["system": ["cwd": "/"]]), ["attributes.system.duration: is required"]),
        ("duration negative", S.withSystem(["duration": -1]), ["attributes.system.duration: \(seconds)"]),
        ("duration text", S.withSystem(["duration": "1h"]), ["attributes.system.duration: \(seconds)"]),
        ("duration infinite", S.withSystem(["duration": .double(.infinity)]), ["attributes.system.duration: \(seconds)"]),
        ("preemptible-after negative", S.withSystem(["preemptible-after": -0.5]), [
            "attributes.system.preemptible-after: \(seconds)",
        ]),
        ("cwd not a string", S.withSystem(["cwd": 5]), ["attributes.system.cwd: must be a string"]),
        ("queue not a string", S.withSystem(["queue": ["a"]]), ["attributes.system.queue: must be a string"]),
        ("environment not an object", S.withSystem(["environment": ["A=1"]]), [
            "attributes.system.environment: must be an object",
        ]),
        ("environment value not a string", S.withSystem(["environment": ["A": 1, "B": "2", "C": nil]]), [
            "attributes.system.environment.A: must be a string", "attributes.system.environment.C: must be a string",
        ]),
        ("shell not an object", S.withSystem(["shell": 1]), ["attributes.system.shell: must be an object"]),
        ("shell options not an object", S.withSystem(["shell": ["options": "x"]]), [
            "attributes.system.shell.options: must be an object",
        ]),
        ("dependencies not an array", S.withSystem(["dependencies": [:]]), [
            "attributes.system.dependencies: must be an array",
        ]),
        ("dependency entries", S.withSystem(["dependencies": [1, ["scheme": "afterok"], ["scheme": 1, "value": "f1"]]]), [
            "attributes.system.dependencies[0]: must be an object",
            "attributes.system.dependencies[1].value: is required",
            "attributes.system.dependencies[2].scheme: must be a string",
        ]),
        ("constraints not an object", S.withSystem(["constraints": ["amd-mi50"]]), [
            "attributes.system.constraints: must be an object",
        ]),
        ("job name not a string", S.withSystem(["job": ["name": 5]]), ["attributes.system.job.name: must be a string"]),
        // Every problem at once, in document order.
        ("many problems", S.document(
            version: 0, resources: [["type": "slot", "count": 0, "with": [["type": "gpu", "count": "2"]]]],
            tasks: [["command": "app", "slot": "s", "count": [:]], S.task],
            attributes: ["system": ["duration": -5], "other": [:]], extra: ["id": 1]), [
            "attributes.other: is not an attributes section (only system and user are allowed)",
            "attributes.system.duration: \(seconds)",
            "id: \(unknown)",
            "resources[0].count: must be a positive integer",
            "resources[0].label: is required for a slot",
            "resources[0].with: must hold exactly one core",
            "resources[0].with[0].count: must be a fixed integer: idset and range strings are not allowed in version 1",
            "tasks: must hold exactly one task in version 1",
            "tasks[0].command: must be an array of strings, not a single string",
            "tasks[0].count: must have exactly one of per_slot or total",
            "version: must be 1 (only jobspec version 1 is supported)",
        ]),
    ]

    @Test(arguments: invalid)
    func reportsEveryProblemInOrder(_ what: String, _ json: JSONValue, _ expected: [String]) {
        let problems = Jobspec.validate(json).map(\.description)
        #expect(problems == expected, "\(what)")
        #expect(throws: JobspecError(problems: Jobspec.validate(json))) { try Jobspec(validating: json) }
    }

    @Test func problemCarriesPathAndRule() throws {
        let problem = try #require(Jobspec.validate(S.withSlot(["count": 0])).first)
        #expect(problem.path == "resources[0].count")
        #expect(problem.rule == "must be a positive integer")
        let error = JobspecError(problems: [problem, JobspecProblem(path: "version", rule: "is required")])
        #expect(error.description == "invalid jobspec: resources[0].count: must be a positive integer; version: is required")
        #expect(error.parseError.message == error.description)
    }

    /// (what, document, nnodes, nslots, cores per slot, gpus per slot, ntasks, exclusive)
    static let shapes: [(String, JSONValue, Int?, Int, Int, Int, Int, Bool)] = [
        ("node>slot>core", S.document(), 2, 6, 2, 0, 6, false),
        ("slot>core", S.document(resources: [S.slot]), nil, 3, 2, 0, 3, false),
        // flux-core's validator allows a gpu count of 0 (node, slot and core need 1 or more).
        ("slot>(core,gpu) with gpu count 0", S.document(
            resources: [["type": "slot", "count": 3, "label": "task", "with": [S.core, ["type": "gpu", "count": 0]]]]),
            nil, 3, 2, 0, 3, false),
        ("slot>(core,gpu) total", S.document(
            resources: [["type": "slot", "count": 4, "label": "task", "with": [S.core, ["type": "gpu", "count": 2]]]],
            tasks: [["command": ["a"], "slot": "task", "count": ["total": 7]]]), nil, 4, 2, 2, 7, false),
        ("exclusive node, per_slot 3", S.document(
            resources: [["type": "node", "count": 5, "exclusive": true, "with": [S.slot]]],
            tasks: [["command": ["a"], "slot": "task", "count": ["per_slot": 3]]]), 5, 15, 2, 0, 45, true),
        ("largest counts", S.document(
            resources: [["type": "node", "count": 1, "with": [
                ["type": "slot", "count": 2_147_483_647, "label": "task", "with": [["type": "core", "count": 2_147_483_647]]]]]]),
            1, 2_147_483_647, 2_147_483_647, 0, 2_147_483_647, false),
    ]

    @Test(arguments: shapes)
    func typedViewsOfValidDocuments(
        _ what: String, _ json: JSONValue, _ nnodes: Int?, _ nslots: Int, _ cores: Int, _ gpus: Int, _ ntasks: Int,
        _ exclusive: Bool
    ) throws {
        let jobspec = try Jobspec(validating: json)
        #expect(jobspec.json == json)
        #expect(jobspec.nnodes == nnodes, "\(what)")
        #expect(jobspec.nslots == nslots, "\(what)")
        #expect(jobspec.coresPerSlot == cores, "\(what)")
        #expect(jobspec.gpusPerSlot == gpus, "\(what)")
        #expect(jobspec.ntasks == ntasks, "\(what)")
        #expect(jobspec.exclusive == exclusive, "\(what)")
    }

    @Test func resourceTreeAndTask() throws {
        let json = S.document(resources: [["type": "node", "count": 2, "exclusive": false, "unit": "box", "with": [
            ["type": "slot", "count": 3, "label": "task", "exclusive": true, "with": [S.core, ["type": "gpu", "count": 1]]],
        ]]])
        let jobspec = try Jobspec(validating: json)
        let gpu = JobspecResource(type: .gpu, count: 1)
        let slot = JobspecResource(
            type: .slot, count: 3, exclusive: true, label: "task", with: [JobspecResource(type: .core, count: 2), gpu])
        #expect(jobspec.resource == JobspecResource(type: .node, count: 2, exclusive: false, unit: "box", with: [slot]))
        #expect(jobspec.resource.child(.slot)?.child(.gpu) == gpu)
        #expect(jobspec.task == JobspecTask(command: ["app", "-v"], slot: "task", count: .perSlot(1)))
        #expect(jobspec.exclusive == false)
    }

    @Test func unknownSystemKeysAreAccepted() throws {
        let jobspec = try Jobspec(validating: S.withSystem(["site-specific": ["anything": [1, 2]], "bank": "b1"]))
        #expect(jobspec.attribute("system.site-specific.anything") == [1, 2])
    }
}
