// Reading and writing jobspec attributes by dotted path, as `flux submit --setattr`
// does: "system.duration", "user.foo.bar" (relative to `attributes`). Writing creates
// missing objects on the way and re-validates the attributes before committing, so
// the `Jobspec` invariant (always valid) holds after every edit.

extension Jobspec {
    /// The attribute at `dottedPath` (e.g. `system.job.name`), or nil when absent.
    public func attribute(_ dottedPath: String) -> JSONValue? {
        var value = json["attributes"]
        for key in dottedPath.split(separator: ".", omittingEmptySubsequences: false) {
            value = value?[String(key)]
        }
        return value
    }

    /// Sets the attribute at `dottedPath` (which starts with `system` or `user`) to
    /// `value`, creating objects on the way. Throws, leaving the jobspec unchanged, when
    /// the path is malformed, passes through a non-object, or the result breaks an
    /// attribute rule (e.g. `system.duration` set to a string).
    public mutating func setAttribute(_ dottedPath: String, _ value: JSONValue) throws(JobspecError) {
        try editAttribute(dottedPath, value)
    }

    /// Removes the attribute at `dottedPath` (nothing happens when it is absent); throws
    /// as `setAttribute` does.
    public mutating func removeAttribute(_ dottedPath: String) throws(JobspecError) {
        guard attribute(dottedPath) != nil else { return }
        try editAttribute(dottedPath, nil)
    }

    /// Sets (or, with nil, removes) the attribute at `dottedPath`.
    private mutating func editAttribute(_ dottedPath: String, _ value: JSONValue?) throws(JobspecError) {
        let keys = dottedPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let fail = { (rule: String) in
            JobspecError(problems: [JobspecProblem(path: "attributes." + dottedPath, rule: rule)])
        }
        guard !keys.contains(where: \.isEmpty) else {
            throw fail("is not an attribute path (empty name between dots)")
        }
        guard keys[0] == "system" || keys[0] == "user" else {
            throw fail("must start with system or user")
        }
        guard case .object(var top) = json,
            let attributes = Self.setting(value, at: keys[...], in: top["attributes"])
        else {
            throw fail("cannot be set: a value on the way is not an object")
        }
        var validator = JobspecValidator()
        validator.at("attributes") { $0.checkAttributes(attributes) }
        if validator.hasProblems { throw JobspecError(problems: validator.problems) }
        top["attributes"] = attributes
        replaceDocument(.object(top))
    }

    /// `container` with `value` stored under the path `keys` (removed there when
    /// `value` is nil), or nil when something on the way is not an object.
    private static func setting(
        _ value: JSONValue?, at keys: ArraySlice<String>, in container: JSONValue?
    ) -> JSONValue? {
        guard let key = keys.first else { return value }
        var object: [String: JSONValue]
        switch container {
        case nil: object = [:]
        case .object(let members)?: object = members
        default: return nil
        }
        if keys.count == 1, value == nil {
            object[key] = nil
            return .object(object)
        }
        guard let child = setting(value, at: keys.dropFirst(), in: object[key]) else { return nil }
        object[key] = child
        return .object(object)
    }
}
