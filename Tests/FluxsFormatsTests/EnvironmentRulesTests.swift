// --env rules: removal by glob, setting with expansion, copying from the submitter.
import FluxsFormats
import Testing

struct EnvironmentRulesTests {
    let submitter = ["PATH": "/usr/bin:/bin", "HOME": "/home/u", "SECRET_A": "1", "SECRET_B": "2", "OMP_X": "x"]

    @Test(arguments: [
        (["-SECRET_*"], ["PATH": "/usr/bin:/bin", "HOME": "/home/u", "OMP_X": "x"]),
        (["-*"], [:]),
        (["-*", "PATH"], ["PATH": "/usr/bin:/bin"]),
        (["-*", "SECRET_?"], ["SECRET_A": "1", "SECRET_B": "2"]),
        (["-*", "A=1", "B=$A-${A}x", "C=$NOPE."], ["A": "1", "B": "1-1x", "C": "."]),
        (["PATH=/opt/bin:$PATH", "-[HS]*", "-OMP_X"], ["PATH": "/opt/bin:/usr/bin:/bin"]),
        (["-*", "D=cost $5", "E=a$"], ["D": "cost $5", "E": "a$"]),
    ] as [([String], [String: String])])
    func rulesApplyInOrder(rules: [String], expected: [String: String]) throws {
        #expect(try EnvironmentRules.apply(rules, to: submitter, source: submitter) == expected)
    }

    @Test(arguments: [
        ("", "env rule \"\": empty rule"),
        ("-", "env rule \"-\": missing pattern after \"-\""),
        ("1X=2", "env rule \"1X=2\": \"1X\" is not a valid variable name"),
        ("=2", "env rule \"=2\": \"\" is not a valid variable name"),
    ])
    func badRulesAreRefused(rule: String, message: String) {
        #expect(throws: ParseError(message)) {
            try EnvironmentRules.apply([rule], to: submitter, source: submitter)
        }
    }
}
