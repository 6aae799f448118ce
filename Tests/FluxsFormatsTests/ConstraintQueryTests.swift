// Tests of the RFC 35 constraint query parser (`--requires`) and of the RFC 31 constraint
// object (`JobConstraint`): flux-core's own parser test vectors (with `properties` as the
// default operator and its comma splitting and merging), the examples of its manual, how
// flux-core's grammar resolves juxtaposition, and every error message.
import Testing
@testable import FluxsFormats

@Suite struct ConstraintQueryTests {
    /// The compact JSON of a query.
    private func parsed(_ query: String) throws -> String {
        try ConstraintQuery.parse(query).compactText
    }

    @Test(arguments: [
        // flux-core t/python/t0027-constraint-parser.py, default operator "properties".
        ("a", #"{"properties":["a"]}"#),
        ("(a)", #"{"properties":["a"]}"#),
        ("( a )", #"{"properties":["a"]}"#),
        ("'a'", #"{"properties":["a"]}"#),
        ("('a')", #"{"properties":["a"]}"#),
        ("a|b", #"{"or":[{"properties":["a"]},{"properties":["b"]}]}"#),
        ("a or b", #"{"or":[{"properties":["a"]},{"properties":["b"]}]}"#),
        ("a || b", #"{"or":[{"properties":["a"]},{"properties":["b"]}]}"#),
        ("a||b", #"{"or":[{"properties":["a"]},{"properties":["b"]}]}"#),
        ("a b c", #"{"properties":["a","b","c"]}"#),
        ("a&b&c", #"{"properties":["a","b","c"]}"#),
        ("a and b and c", #"{"properties":["a","b","c"]}"#),
        ("a && b && c", #"{"properties":["a","b","c"]}"#),
        ("a,b,c", #"{"properties":["a","b","c"]}"#),
        ("a&b|c", #"{"or":[{"properties":["a","b"]},{"properties":["c"]}]}"#),
        ("a&(b|c)", #"{"and":[{"properties":["a"]},{"or":[{"properties":["b"]},{"properties":["c"]}]}]}"#),
        ("(a&(b|-c))", #"{"and":[{"properties":["a"]},{"or":[{"properties":["b"]},{"not":[{"properties":["c"]}]}]}]}"#),
        ("a or host:foo", #"{"or":[{"properties":["a"]},{"hostlist":["foo"]}]}"#),
        ("a or -host:foo", #"{"or":[{"properties":["a"]},{"not":[{"hostlist":["foo"]}]}]}"#),
        ("a or time:11:00am", #"{"or":[{"properties":["a"]},{"time":["11:00am"]}]}"#),
        ("a or test:'a quoted string'", #"{"or":[{"properties":["a"]},{"test":["a quoted string"]}]}"#),
        ("a or name:'/foo|(bar)|baz.*/'", #"{"or":[{"properties":["a"]},{"name":["/foo|(bar)|baz.*/"]}]}"#),
        ("not (xx and yy)", #"{"not":[{"properties":["xx","yy"]}]}"#),
        // flux-core's manual (common/job-constraints.rst).
        ("(a and b) or (b and c)", #"{"or":[{"properties":["a","b"]},{"properties":["b","c"]}]}"#),
        ("b|-c", #"{"or":[{"properties":["b"]},{"not":[{"properties":["c"]}]}]}"#),
        ("b or not c", #"{"or":[{"properties":["b"]},{"not":[{"properties":["c"]}]}]}"#),
        ("host:fluke[1-5]", #"{"hostlist":["fluke[1-5]"]}"#),
        ("-host:fluke7", #"{"not":[{"hostlist":["fluke7"]}]}"#),
        ("rank:0", #"{"ranks":["0"]}"#),
        ("hosts:a,b hostlist:c ranks:1-2", #"{"and":[{"hostlist":["a,b"]},{"hostlist":["c"]},{"ranks":["1-2"]}]}"#),
        ("properties:x,y ^z", #"{"properties":["x","y","^z"]}"#),
        // Merging as flux-core's combine_like_terms does it.
        ("host:x a b", #"{"and":[{"hostlist":["x"]},{"properties":["a"]},{"properties":["b"]}]}"#),
        ("a b host:x", #"{"and":[{"properties":["a","b"]},{"hostlist":["x"]}]}"#),
        // Conflicts resolved as PLY does: a rule with a precedence reduces before a term.
        ("a|b c", #"{"and":[{"or":[{"properties":["a"]},{"properties":["b"]}]},{"properties":["c"]}]}"#),
        ("a|b -c", #"{"or":[{"properties":["a"]},{"and":[{"properties":["b"]},{"not":[{"properties":["c"]}]}]}]}"#),
        ("not a b", #"{"and":[{"not":[{"properties":["a"]}]},{"properties":["b"]}]}"#),
        // Quoting, "op:" joined to what follows, keywords only as whole words.
        ("host: 'n 1'", #"{"hostlist":["n 1"]}"#),
        ("\"a&b\"", #"{"properties":["a&b"]}"#),
        ("nothing orange andy", #"{"properties":["nothing","orange","andy"]}"#),
        ("a-b", #"{"properties":["a-b"]}"#),
    ])
    func compiles(query: String, json: String) throws {
        #expect(try parsed(query) == json)
    }

    @Test(arguments: [
        ("a|", "Unexpected end of input in 'a|'"),
        ("a:' ", "Unclosed quote \"'\" at position 3"),
        ("a:\" ", "Unclosed quote '\"' at position 3"),
        ("(a", "Unclosed parenthesis in position 0"),
        ("(a))", "Mismatched parentheses starting at position 3."),
        ("-(a|b)", "Invalid token '(' at position 1"),
        ("4g,host:foo", "invalid character ',' in operator '4g,host:'"),
        ("foo and a:", "Missing argument to token 'a:'"),
        ("a & | b", "Invalid token '|' at position 4"),
        ("()", "Invalid token ')' at position 1"),
        ("", "Unexpected end of input in ''"),
    ])
    func refuses(query: String, message: String) {
        #expect(throws: ParseError(message)) { try ConstraintQuery.parse(query) }
    }
}

@Suite struct JobConstraintTests {
    @Test func readsEveryOperator() throws {
        let json: JSONValue = ["and": [["properties": ["a", "^b"]], ["hostlist": ["n[1-2]", "m1"]],
                                       ["or": [["ranks": ["0-1", "5"]], ["not": [[:]]]]]]]
        let constraint = try JobConstraint(json: json)
        #expect(constraint == .and([.properties(["a", "^b"]), .hostlist(try Hostlist(parsing: "n[1-2],m1")),
                                    .or([.ranks(try IDSet(parsing: "0-1,5")), .not([.any])])]))
        #expect(try JobConstraint(json: constraint.json) == constraint)
        #expect(constraint.conjunctiveProperties == nil)
        #expect(try JobConstraint(json: ["and": [["properties": ["a"]], ["properties": ["b"]]]]).conjunctiveProperties == ["a", "b"])
    }

    static let refusals: [(JSONValue, String)] = [
        (.array([]), "constraint must be JSON object"),
        (.object(["a": .array([]), "b": .array([])]), "constraint must only contain 1 element"),
        (.object(["foo": ["x"]]), "unknown constraint operator: foo"),
        (.object(["properties": "x"]), "properties value must be an array"),
        (.object(["properties": [1]]), "non-string property specified"),
        (.object(["properties": ["a|b"]]), "invalid character '|' in property \"a|b\""),
        (.object(["hostlist": ["n[1-"]]), "invalid hostlist 'n[1-' in [\"n[1-\"]"),
        (.object(["ranks": ["x"]]), "invalid idset 'x' in [\"x\"]"),
        (.object(["or": ["properties"]]), "constraint must be JSON object"),
        (.object(["not": .object([:])]), "not operator value must be an array"),
    ]

    @Test(arguments: refusals)
    func refuses(json: JSONValue, message: String) {
        #expect(throws: ParseError(message)) { try JobConstraint(json: json) }
    }
}
