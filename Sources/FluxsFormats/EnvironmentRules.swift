// The environment a job is submitted with: the submitter's environment, edited by
// Flux-style `--env` rules applied in order (as flux-submit(1) defines them):
//   -PATTERN     remove every variable whose name matches the glob PATTERN
//   NAME=VALUE   set NAME; $NAME and ${NAME} in VALUE expand from the environment so far
//   PATTERN      copy the variables whose names match PATTERN from the submitter's
//                environment (useful after "-*")
// Pure code: the caller passes the submitter's environment in.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Applies `--env` rules to an environment.
public enum EnvironmentRules {
    /// Returns `environment` edited by `rules`, in order. `source` is where plain
    /// patterns copy from (the submitter's environment).
    public static func apply(
        _ rules: [String], to environment: [String: String], source: [String: String]
    ) throws(ParseError) -> [String: String] {
        var env = environment
        for rule in rules {
            if rule.isEmpty { throw ParseError("env rule \"\": empty rule") }
            if rule.hasPrefix("-") {
                let pattern = String(rule.dropFirst())
                if pattern.isEmpty { throw ParseError("env rule \"-\": missing pattern after \"-\"") }
                for name in env.keys where globMatches(pattern, name) { env[name] = nil }
            } else if let eq = rule.firstIndex(of: "=") {
                let name = String(rule[..<eq])
                guard isValidName(name) else {
                    throw ParseError("env rule \"\(rule)\": \"\(name)\" is not a valid variable name")
                }
                env[name] = expand(String(rule[rule.index(after: eq)...]), from: env)
            } else {
                for (name, value) in source where globMatches(rule, name) { env[name] = value }
            }
        }
        return env
    }

    /// True when `name` is a shell variable name: a letter or underscore, then letters,
    /// digits or underscores.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || isDigit($0) }
    }

    /// Expands `$NAME` and `${NAME}` in `value`; unknown names expand to "".
    static func expand(_ value: String, from env: [String: String]) -> String {
        guard value.utf8.contains(UInt8(ascii: "$")) else { return value }
        var out = ""
        var rest = Substring(value)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            var after = rest[rest.index(after: dollar)...]
            var name = Substring("")
            if after.first == "{", let close = after.firstIndex(of: "}") {
                name = after[after.index(after: after.startIndex)..<close]
                after = after[after.index(after: close)...]
            } else {
                let startsName = after.first.map { $0 == "_" || $0.isASCII && $0.isLetter } ?? false
                let end = !startsName ? after.startIndex
                    : after.firstIndex { c in !(c == "_" || c.isASCII && (c.isLetter || c.isNumber)) } ?? after.endIndex
                name = after[..<end]
                after = after[end...]
            }
            if name.isEmpty { out += "$" } else { out += env[String(name)] ?? "" }
            rest = after
        }
        return out + rest
    }

    private static func globMatches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
