// What jobspec validation (RFC 14 canonical jobspec, RFC 25 jobspec version 1)
// reports: each problem names where it is (a path into the document) and which rule
// it breaks. Validation collects every problem rather than stopping at the first.

/// One problem found by jobspec validation: where it is and which rule it breaks.
public struct JobspecProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is, e.g. `resources[0].with[0].count`; `jobspec` for the whole document.
    public var path: String
    /// The rule broken, e.g. `must be a positive integer`.
    public var rule: String

    /// Makes a problem at `path` breaking `rule`.
    public init(path: String, rule: String) {
        self.path = path
        self.rule = rule
    }

    /// `path: rule`, e.g. `resources[0].with[0].count: must be a positive integer`.
    public var description: String { "\(path): \(rule)" }
}

/// A jobspec that failed validation, with every problem found, in document order.
public struct JobspecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, never empty.
    public var problems: [JobspecProblem]

    /// Makes an error carrying `problems`.
    public init(problems: [JobspecProblem]) {
        self.problems = problems
    }

    /// `invalid jobspec: ` followed by the problems separated by `; `.
    public var description: String {
        "invalid jobspec: " + problems.map(\.description).joined(separator: "; ")
    }

    /// The same failure as a `ParseError`, for callers that speak only `ParseError`.
    public var parseError: ParseError { ParseError(description) }
}
