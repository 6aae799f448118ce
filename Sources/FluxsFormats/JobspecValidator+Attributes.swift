// Version 1 attribute rules (RFC 25 "Attributes", RFC 14 system attributes):
// only the `system` and `user` sections; `system` is required and holds the required
// `duration` (seconds, finite, >= 0; 0 means unlimited). The system keys fluxs reads
// are type-checked; other system keys are accepted, as RFC 14 says unknown system
// attributes trigger no more than a warning (flux-core's checks do the same).

extension JobspecValidator {
    /// The rule for a section other than `system` and `user`.
    static let unknownSectionRule = "is not an attributes section (only system and user are allowed)"
    /// The system keys whose value must be a string when present.
    static let systemStringKeys = ["cwd", "queue", "bank", "project"]
    /// The system keys whose value must be an object when present.
    static let systemObjectKeys = ["constraints", "files"]

    /// Checks the `attributes` object.
    mutating func checkAttributes(_ value: JSONValue) {
        guard case .object(let sections) = value else {
            report("must be an object")
            return
        }
        if let system = sections["system"] {
            at("system") { $0.checkSystem(system) }
        } else {
            report("is required", at: "system")
        }
        switch sections["user"] {
        case nil: break
        case .object(let user)?: if user.isEmpty { report("must not be empty", at: "user") }
        default: report("must be an object", at: "user")
        }
        reportUnknownKeys(sections, known: ["system", "user"], rule: Self.unknownSectionRule)
    }

    private mutating func checkSystem(_ value: JSONValue) {
        guard case .object(let system) = value else {
            report("must be an object")
            return
        }
        if let duration = system["duration"] {
            at("duration") { $0.checkSeconds(duration) }
        } else {
            report("is required", at: "duration")
        }
        if let after = system["preemptible-after"] { at("preemptible-after") { $0.checkSeconds(after) } }
        for key in Self.systemStringKeys { checkOptionalString(system, key) }
        for key in Self.systemObjectKeys { checkOptionalObject(system, key) }
        if let environment = system["environment"] {
            at("environment") { $0.checkStringMembers(environment) }
        }
        if let shell = system["shell"] {
            at("shell") { v in
                guard case .object(let members) = shell else { return v.report("must be an object") }
                v.checkOptionalObject(members, "options")
            }
        }
        if let dependencies = system["dependencies"] {
            at("dependencies") { $0.checkDependencies(dependencies) }
        }
        if let job = system["job"] {
            at("job") { $0.checkStringMembers(job) }
        }
    }

    /// A time span in seconds: a finite number >= 0.
    private mutating func checkSeconds(_ value: JSONValue) {
        let seconds = value.doubleValue ?? -1
        if !(seconds.isFinite && seconds >= 0) { report("must be a finite number of seconds >= 0") }
    }

    /// An object whose members are all strings (`environment`, `job`).
    private mutating func checkStringMembers(_ value: JSONValue) {
        guard case .object(let members) = value else { return report("must be an object") }
        for (key, member) in members where member.stringValue == nil {
            report("must be a string", at: key)
        }
    }

    /// RFC 26 dependencies: an array of objects with string `scheme` and `value`.
    private mutating func checkDependencies(_ value: JSONValue) {
        guard case .array(let list) = value else { return report("must be an array") }
        for (i, element) in list.enumerated() {
            at(i) { v in
                guard case .object(let dependency) = element else { return v.report("must be an object") }
                for key in ["scheme", "value"] {
                    switch dependency[key] {
                    case nil: v.report("is required", at: key)
                    case .string?: break
                    default: v.report("must be a string", at: key)
                    }
                }
            }
        }
    }
}
