// The YAML/JSON front end of jobspec: YAML 1.1 scalar typing, syntax errors with
// line and column, JSON input, and whole documents.
import FluxsFormats
import FluxsYAML
import Testing

@Suite struct JobspecYAMLTests {
    /// (plain or tagged scalar text, its value)
    static let scalars: [(String, JSONValue)] = [
        ("4", 4), ("-7", -7), ("+3", 3), ("0", 0), ("1_000", 1000), ("0x1F", 31), ("012", 10), ("0b101", 5),
        ("1:30", 90), ("999999999999999999", 999_999_999_999_999_999), ("9223372036854775807", .int(.max)),
        ("3600.", 3600.0), ("1.5e3", 1500.0), ("-0.25", -0.25), (".inf", .double(.infinity)),
        ("-.inf", .double(-.infinity)),
        ("yes", true), ("On", true), ("TRUE", true), ("no", false), ("off", false), ("False", false),
        ("~", nil), ("null", nil), ("NULL", nil), ("", nil),
        ("hostname", "hostname"), ("nodelevel", "nodelevel"), ("yesterday", "yesterday"), ("/bin/true", "/bin/true"),
        ("'4'", "4"), ("\"yes\"", "yes"), ("'~'", "~"), ("!!str 4", "4"), ("!!float 4", 4.0), ("!!int 0x10", 16),
        ("!!bool yes", true), ("!!null ~", nil), ("2001-12-14", "2001-12-14"), ("1 hour", "1 hour"),
        ("-x", "-x"), ("+x", "+x"), ("-12a", "-12a"), ("0.5.1", "0.5.1"), ("/home/flux", "/home/flux"),
        ("_x", "_x"), ("(1)", "(1)"), (".5", 0.5), ("<<", "<<"), ("=", "="),
    ]

    @Test(arguments: scalars)
    func scalarTyping(_ text: String, _ value: JSONValue) throws {
        #expect(try Jobspec.parseDocument("v: \(text)") == ["v": value])
    }

    @Test func collectionsAndNesting() throws {
        let yaml = """
            list: [a, 1, {b: yes}]
            block:
              - x: 1
                y: [ ]
              - ~
            empty: {}
            """
        let expected: JSONValue = [
            "list": ["a", 1, ["b": true]], "block": [["x": 1, "y": []], nil], "empty": [:],
        ]
        #expect(try Jobspec.parseDocument(yaml) == expected)
    }

    @Test func anchorsAndAliasesAreExpanded() throws {
        let yaml = "env: &e {A: '1'}\ncopy: *e\n"
        #expect(try Jobspec.parseDocument(yaml) == ["env": ["A": "1"], "copy": ["A": "1"]])
    }

    /// (text, exact error message)
    static let malformed: [(String, String)] = [
        ("version: 1\nresources: [\n", "jobspec YAML 3:1: did not find expected node content (while parsing a flow node at 3:1)"),
        ("a: 1\n b: 2\n", "jobspec YAML 2:3: mapping values are not allowed in this context"),
        ("tasks:\n  - command: [\"flux\" \"start\"]\n",
            "jobspec YAML 2:22: did not find expected ',' or ']' (while parsing a flow sequence at 2:14)"),
        ("a: 'open\n", "jobspec YAML 2:1: found unexpected end of stream (while scanning a quoted scalar at 1:4)"),
        ("a: 1\na: 2\n", "jobspec YAML 1:1: duplicate key \"a\""),
        ("a: 1\n---\nb: 2\n",
            "jobspec YAML 2:1: but found another document (expected a single document in the stream at 1:1)"),
        ("? [a]\n: 1\n", "jobspec YAML 1:3: mapping keys must be scalars, not collections"),
        ("v: 99999999999999999999\n", "jobspec YAML 1:4: \"99999999999999999999\" is not a valid 64-bit integer"),
        ("v: !!int twelve\n", "jobspec YAML 1:4: \"twelve\" is not a valid 64-bit integer"),
        ("", "jobspec YAML: the document is empty"),
        ("# only a comment\n", "jobspec YAML: the document is empty"),
    ]

    @Test(arguments: malformed)
    func syntaxErrorsSayWhere(_ text: String, _ message: String) {
        #expect(throws: ParseError(message)) { try Jobspec.parseDocument(text) }
    }

    @Test func jsonTextIsAccepted() throws {
        let json = #"{"version": 1, "tasks": [{"command": ["a"], "count": {"total": 2}}], "x": 1.5, "y": null}"#
        #expect(try Jobspec.parseDocument(json) == [
            "version": 1, "tasks": [["command": ["a"], "count": ["total": 2]]], "x": 1.5, "y": nil,
        ])
    }

    @Test func flowYAMLThatIsNotJSONIsReadAsYAML() throws {
        #expect(try Jobspec.parseDocument("  {version: 1, on: yes}") == ["version": 1, "on": true])
    }

    @Test func malformedJSONGetsAYAMLPosition() {
        #expect(throws: ParseError("jobspec YAML 1:22: did not find expected ',' or '}' (while parsing a flow mapping at 1:1)")) {
            try Jobspec.parseDocument(#"{"version": 1 "tasks": []}"#)
        }
    }

    @Test func parsingValidatesAndListsEveryProblem() throws {
        let yaml = """
            version: 1
            resources:
              - type: slot
                count: 0
                label: task
                with: [{type: core, count: 1}]
            tasks:
              - {command: hostname, slot: task, count: {per_slot: 1}}
            attributes:
              system: {duration: 0}
            """
        #expect(throws: ParseError(
            "invalid jobspec: resources[0].count: must be a positive integer; "
                + "tasks[0].command: must be an array of strings, not a single string")) {
            try Jobspec(parsing: yaml)
        }
        let fixed = yaml.replacingOccurrences(of: "count: 0", with: "count: 2")
            .replacingOccurrences(of: "command: hostname", with: "command: [hostname]")
        let jobspec = try Jobspec(parsing: fixed)
        #expect(jobspec.nslots == 2)
        #expect(jobspec.task.command == ["hostname"])
    }

    @Test func largeDocumentRoundTrips() throws {
        var environment: [String: JSONValue] = [:]
        for i in 0..<2000 { environment["VAR_\(i)"] = .string("value \(i) with: colon and 'quotes'") }
        let json = JobspecSamples.document(attributes: ["system": ["duration": 1.5, "environment": .object(environment)]])
        let jobspec = try Jobspec(validating: json)
        #expect(try Jobspec(parsing: json.prettyText) == jobspec)
        #expect(jobspec.environment.count == 2000)
    }
}
