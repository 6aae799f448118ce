// Typed views of a jobspec's `attributes.system` section (RFC 14 "Attributes"),
// read on demand from the validated document, so they always agree with `json`.

extension Jobspec {
    /// The `attributes.system` object.
    private var system: [String: JSONValue] { json["attributes"]?["system"]?.objectValue ?? [:] }

    /// The time limit in seconds (`attributes.system.duration`); 0 means unlimited.
    public var duration: Double { system["duration"]?.doubleValue ?? 0 }

    /// The working directory for the tasks, when set.
    public var cwd: String? { system["cwd"]?.stringValue }

    /// The environment the tasks get.
    public var environment: [String: String] {
        system["environment"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
    }

    /// The job shell options (`attributes.system.shell.options`).
    public var shellOptions: [String: JSONValue] { system["shell"]?["options"]?.objectValue ?? [:] }

    /// The job's dependencies (RFC 26), in order.
    public var dependencies: [JobspecDependency] {
        (system["dependencies"]?.arrayValue ?? []).compactMap { entry in
            guard let scheme = entry["scheme"]?.stringValue, let value = entry["value"]?.stringValue else {
                return nil
            }
            var options = entry.objectValue ?? [:]
            options["scheme"] = nil
            options["value"] = nil
            return JobspecDependency(scheme: scheme, value: value, options: options)
        }
    }

    /// The queue the job is submitted to, when set.
    public var queue: String? { system["queue"]?.stringValue }

    /// The RFC 31 constraints on the resources (what `--requires` sets), when set.
    public var constraints: [String: JSONValue]? { system["constraints"]?.objectValue }

    /// The job name (`attributes.system.job.name`), when set.
    public var jobName: String? { system["job"]?["name"]?.stringValue }

    /// The `attributes.user` section (empty when absent).
    public var userAttributes: [String: JSONValue] { json["attributes"]?["user"]?.objectValue ?? [:] }
}
