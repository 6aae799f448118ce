// The RFC examples as test data (Fixtures/jobspec): every RFC 25 example that
// flux-core accepts is accepted with the right totals; the RFC 14 canonical examples
// (and the RFC 25 one with a plain-string command) are refused with exact problems.
import Foundation
import FluxsFormats
import FluxsYAML
import Testing

/// Reads the jobspec fixture files.
enum JobspecFixtures {
    /// The text of `Fixtures/jobspec/<name>`.
    static func text(_ name: String) throws -> String {
        let base = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/jobspec")
        return try String(contentsOf: base.appendingPathComponent(name), encoding: .utf8)
    }

    /// The names of the files in `Fixtures/jobspec/<folder>`.
    static func names(in folder: String) throws -> Set<String> {
        let base = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/jobspec/" + folder)
        return Set(try FileManager.default.contentsOfDirectory(atPath: base.path))
    }
}

@Suite struct JobspecFixtureTests {
    /// (file, nnodes, nslots, cores per slot, gpus per slot, ntasks)
    static let valid: [(String, Int?, Int, Int, Int, Int)] = [
        ("valid/rfc25_example1.yaml", 4, 4, 2, 0, 4),
        ("valid/rfc25_use_case_1.1.yaml", 4, 4, 1, 0, 4),
        ("valid/rfc25_use_case_2.2.yaml", nil, 10, 2, 0, 10),
        ("valid/rfc25_use_case_2.3.yaml", nil, 10, 2, 1, 10),
        ("valid/rfc25_use_case_2.4.yaml", 4, 16, 1, 1, 16),
        ("valid/request_N2_n3_c2_g1.json", 2, 4, 2, 1, 3),
    ]

    static let unknownType = "(version 1 knows node, slot, core and gpu)"
    static let notVersion1 = "version: must be 1 (only jobspec version 1 is supported)"
    static let stringCommand = "tasks[0].command: must be an array of strings, not a single string"

    /// (file, exact problems)
    static let invalid: [(String, [String])] = [
        ("invalid/rfc25_use_case_2.1.yaml", [stringCommand]),
        ("invalid/rfc14_example1.yaml", [stringCommand]),
        ("invalid/rfc14_example2.yaml", [
            "resources[0].with: must hold exactly one core",
            "resources[0].with[0].type: must be core or gpu under a slot",
            stringCommand,
        ]),
        ("invalid/rfc14_use_case_1.2.yaml", [
            "resources[0].count: must be a fixed integer: count ranges (min, max, operator, operand) are not allowed in version 1",
            "resources[0].with: must hold exactly one core",
            "resources[0].with[0].type: must be core or gpu under a slot",
            notVersion1,
        ]),
        ("invalid/rfc14_use_case_1.3.yaml", [
            "attributes.system.duration: must be a finite number of seconds >= 0",
            "resources[0].with: must hold exactly one core",
            "resources[0].with[0].type: must be core or gpu under a slot",
        ]),
        ("invalid/rfc14_use_case_1.5.yaml", [
            "resources: must hold exactly one resource (a node or a slot) in version 1",
            "resources[0].type: unknown resource type \"cluster\" \(unknownType)",
            "resources[1].type: unknown resource type \"switch\" \(unknownType)",
            "tasks: must hold exactly one task in version 1",
            notVersion1,
        ]),
        ("invalid/rfc14_use_case_1.6.yaml", [
            "resources[0].type: unknown resource type \"cluster\" \(unknownType)",
            "tasks[0].count: must have exactly one of per_slot or total",
            "tasks[0].count.per_resource: is not allowed in version 1 (use per_slot or total)",
            notVersion1,
        ]),
    ]

    @Test(arguments: valid)
    func acceptsValidExample(_ file: String, _ nnodes: Int?, _ nslots: Int, _ cores: Int, _ gpus: Int, _ ntasks: Int) throws {
        let jobspec = try Jobspec(parsing: try JobspecFixtures.text(file))
        #expect(jobspec.nnodes == nnodes)
        #expect(jobspec.nslots == nslots)
        #expect(jobspec.coresPerSlot == cores)
        #expect(jobspec.gpusPerSlot == gpus)
        #expect(jobspec.ntasks == ntasks)
    }

    @Test(arguments: invalid)
    func refusesExampleWithExactProblems(_ file: String, _ expected: [String]) throws {
        let json = try Jobspec.parseDocument(try JobspecFixtures.text(file))
        #expect(Jobspec.validate(json).map(\.description) == expected)
    }

    @Test func everyFixtureIsInATable() throws {
        let listed = Set(Self.valid.map(\.0) + Self.invalid.map(\.0))
        let present = try JobspecFixtures.names(in: "valid").map { "valid/" + $0 }
            + JobspecFixtures.names(in: "invalid").map { "invalid/" + $0 }
        #expect(Set(present) == listed)
    }

    @Test func rfcCopiesNameTheirSource() throws {
        for file in Self.valid.map(\.0) + Self.invalid.map(\.0) where file.hasSuffix(".yaml") {
            let firstLine = try JobspecFixtures.text(file).prefix { $0 != "\n" }
            #expect(firstLine.hasPrefix("# From RFC "), "\(file)")
        }
    }

    /// The JSON form of each valid example reads back to the same jobspec. (JSON text
    /// writes the real 3600.0 as 3600, so the documents agree as text, not as values.)
    @Test(arguments: valid.map(\.0))
    func yamlAndJSONFormsAgree(_ file: String) throws {
        let original = try Jobspec(parsing: try JobspecFixtures.text(file))
        for text in [original.json.compactText, original.json.prettyText] {
            let reread = try Jobspec(parsing: text)
            #expect(reread.json.compactText == original.json.compactText)
            #expect(reread.resource == original.resource)
            #expect(reread.task == original.task)
            #expect(reread.duration == original.duration)
        }
    }
}
