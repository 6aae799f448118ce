// Jobspec attributes: the typed views of attributes.system and editing by dotted
// path, which must keep the jobspec valid (a refused edit changes nothing).
import FluxsFormats
import Testing

@Suite struct JobspecAttributeTests {
    static func sample() throws -> Jobspec {
        try Jobspec(validating: JobspecSamples.withSystem([
            "duration": 600.0, "cwd": "/home/flux", "environment": ["HOME": "/home/flux"],
            "job": ["name": "probe"], "queue": "batch",
            "dependencies": [["scheme": "afterok", "value": "f1234"], ["scheme": "begin-time", "value": "1700000000"]],
            "shell": ["options": ["cpu-affinity": "per-task"]], "constraints": ["properties": ["amd-mi50"]],
        ]))
    }

    @Test func removingAnAttribute() throws {
        var jobspec = try Self.sample()
        try jobspec.removeAttribute("system.queue")
        #expect(jobspec.queue == nil)
        #expect(jobspec.jobName == "probe")
        try jobspec.removeAttribute("system.queue")
        try jobspec.removeAttribute("system.job.name")
        #expect(jobspec.attribute("system.job") == [:])
    }

    @Test func typedViews() throws {
        let jobspec = try Self.sample()
        #expect(jobspec.duration == 600)
        #expect(jobspec.cwd == "/home/flux")
        #expect(jobspec.environment == ["HOME": "/home/flux"])
        #expect(jobspec.jobName == "probe")
        #expect(jobspec.queue == "batch")
        #expect(jobspec.dependencies == [
            JobspecDependency(scheme: "afterok", value: "f1234"),
            JobspecDependency(scheme: "begin-time", value: "1700000000"),
        ])
        #expect(jobspec.shellOptions == ["cpu-affinity": "per-task"])
        #expect(jobspec.constraints == ["properties": ["amd-mi50"]])
        #expect(jobspec.userAttributes == [:])
    }

    @Test func viewsOfAMinimalJobspec() throws {
        let jobspec = try Jobspec(validating: JobspecSamples.document())
        #expect(jobspec.duration == 0)
        #expect(jobspec.cwd == nil)
        #expect(jobspec.environment == [:])
        #expect(jobspec.jobName == nil)
        #expect(jobspec.queue == nil)
        #expect(jobspec.dependencies == [])
        #expect(jobspec.shellOptions == [:])
        #expect(jobspec.constraints == nil)
    }

    /// (dotted path, value): each edit reads back and keeps the jobspec valid.
    static let edits: [(String, JSONValue)] = [
        ("system.duration", 60.5),
        ("system.job.name", "renamed"),
        ("system.shell.options.output.stdout.type", "file"),
        ("system.queue", "debug"),
        ("system.environment.NEW", "1"),
        ("user.foo.bar", [1, 2, 3]),
        ("user.x", nil),
        ("system.site-specific", ["anything": true]),
    ]

    @Test(arguments: edits)
    func setAttributeThenRead(_ path: String, _ value: JSONValue) throws {
        var jobspec = try Self.sample()
        let before = jobspec
        try jobspec.setAttribute(path, value)
        #expect(jobspec.attribute(path) == value)
        #expect(jobspec.resource == before.resource)
        #expect(try Jobspec(validating: jobspec.json) == jobspec)
    }

    @Test func editsShowInTheViews() throws {
        var jobspec = try Self.sample()
        try jobspec.setAttribute("system.duration", 30)
        try jobspec.setAttribute("system.job.name", "other")
        try jobspec.setAttribute("system.shell.options.cpu-affinity", "off")
        try jobspec.setAttribute("user.tag", "t1")
        #expect(jobspec.duration == 30)
        #expect(jobspec.jobName == "other")
        #expect(jobspec.shellOptions["cpu-affinity"] == "off")
        #expect(jobspec.userAttributes == ["tag": "t1"])
        #expect(jobspec.queue == "batch")
    }

    /// (dotted path, value, exact problems)
    static let refusedEdits: [(String, JSONValue, [String])] = [
        ("system.duration", "1h", ["attributes.system.duration: must be a finite number of seconds >= 0"]),
        ("system.duration", -1, ["attributes.system.duration: must be a finite number of seconds >= 0"]),
        ("system.environment.X", 5, ["attributes.system.environment.X: must be a string"]),
        ("system.job", "name", ["attributes.system.job: must be an object"]),
        ("user", [:], ["attributes.user: must not be empty"]),
        ("system", ["cwd": "/"], ["attributes.system.duration: is required"]),
        ("sched.priority", 1, ["attributes.sched.priority: must start with system or user"]),
        ("system..x", 1, ["attributes.system..x: is not an attribute path (empty name between dots)"]),
        ("", 1, ["attributes.: is not an attribute path (empty name between dots)"]),
        ("system.cwd.sub", "x", ["attributes.system.cwd.sub: cannot be set: a value on the way is not an object"]),
    ]

    @Test(arguments: refusedEdits)
    func refusedEditChangesNothing(_ path: String, _ value: JSONValue, _ problems: [String]) throws {
        var jobspec = try Self.sample()
        let before = jobspec
        do {
            try jobspec.setAttribute(path, value)
            Issue.record("setting \(path) was accepted")
        } catch {
            #expect(error.problems.map(\.description) == problems)
        }
        #expect(jobspec == before)
    }

    @Test func readingMissingAttributes() throws {
        let jobspec = try Self.sample()
        #expect(jobspec.attribute("system.nothing") == nil)
        #expect(jobspec.attribute("system.cwd.deeper") == nil)
        #expect(jobspec.attribute("") == nil)
        #expect(jobspec.attribute("system.dependencies")?.arrayValue?.count == 2)
    }
}
