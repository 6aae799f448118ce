// The value of each `fluxs jobs` field for a record (names as in JobFormat.swift).
// Values that do not apply yet are `.none` ("" in output, "-" with h): result before
// INACTIVE, t_run before RUN, nodelist before alloc, and so on.
import FluxsFormats

extension JobFormat {
    /// The value of field `name` for `record` at time `now`; `{id}` and `{id.f58}` in
    /// the `f58` form.
    public static func value(of name: String, in record: JobRecord, now: Double, f58: JobIDForm = .f58,
                             username: (UInt32) -> String?) -> FieldValue {
        if name == "id" || name == "id.f58" { return .text(record.id.formatted(f58)) }
        if name.hasPrefix("id."), let form = JobIDForm(rawValue: String(name.dropFirst(3))) {
            return .text(record.id.formatted(form))
        }
        for (prefix, root) in [("annotations.", record.annotations), ("sched.", record.annotations["sched"]?.objectValue ?? [:]),
                               ("user.", record.annotations["user"]?.objectValue ?? [:]), ("memo.", record.memo)]
        where name.hasPrefix(prefix) {
            return json(lookup(String(name.dropFirst(prefix.count)), in: root))
        }
        let inactive = record.state == .inactive
        let exception = record.exception
        switch name {
        case "userid": return .int(Int(record.userid))
        case "username": return .text(username(record.userid) ?? String(record.userid))
        case "urgency": return .int(record.urgency)
        case "priority": return record.priority.map { .int(Int($0)) } ?? .none
        case "state": return .text(record.state.name)
        case "state_single": return .text(record.state.abbreviation)
        case "name": return .text(record.summary.name)
        case "queue": return .text(record.summary.queue ?? "")
        case "ntasks": return .int(record.summary.ntasks)
        case "ncores": return .int(record.resources?.ncores ?? record.summary.ncores)
        case "nnodes": return record.nnodes.map { .int($0) } ?? .none
        case "duration": return .real(record.summary.duration)
        case "ranks": return record.resources.map { .text($0.ranks.description) } ?? .none
        case "nodelist": return record.resources.map { .text($0.nodelist) } ?? .none
        case "status": return .text(record.status.name)
        case "status_abbrev": return .text(record.status.abbreviation)
        case "result": return record.result.map { .text($0.name) } ?? .none
        case "result_abbrev": return record.result.map { .text($0.abbreviation) } ?? .none
        case "success": return record.success.map { .text($0 ? "True" : "False") } ?? .none
        case "waitstatus": return record.waitstatus.map { .int(Int($0)) } ?? .none
        case "returncode": return record.returncode.map { .int($0) } ?? .none
        case "exception.occurred": return inactive ? .text(exception == nil ? "False" : "True") : .none
        case "exception.severity": return exception.map { .int($0.severity) } ?? .none
        case "exception.type": return exception.map { .text($0.type) } ?? .none
        case "exception.note": return exception.map { .text($0.note) } ?? .none
        case "t_submit": return time(record.timestamps[.new])
        case "t_depend": return time(record.timestamps[.depend])
        case "t_run": return time(record.timestamps[.run])
        case "t_cleanup": return time(record.timestamps[.cleanup])
        case "t_inactive": return time(record.timestamps[.inactive])
        case "runtime": return .real(record.runtime(now: now))
        case "contextual_time": return .real(record.contextualTime(now: now))
        case "expiration": return time(record.resources?.expiration)
        case "t_remaining":
            guard record.state.isRunning, let expiration = record.resources?.expiration, expiration > 0 else {
                return .real(0)
            }
            return .real(max(0, expiration - now))
        case "dependencies": return .text(record.dependencies.joined(separator: ","))
        case "contextual_info": return .text(record.contextualInfo(now: now))
        case "instance": return .text(record.isInstance ? "yes" : "")
        case "uri": return record.memo["uri"]?.stringValue.map { .text($0) } ?? .none
        case "inactive_reason": return .text(record.inactiveReason)
        case "annotations": return json(.object(record.annotations))
        default: return .none
        }
    }

    /// A timestamp, or none when unset.
    private static func time(_ value: Double?) -> FieldValue {
        guard let value, value > 0 else { return .none }
        return .real(value)
    }

    /// A dotted key path into a JSON object.
    private static func lookup(_ path: String, in root: [String: JSONValue]) -> JSONValue? {
        var value: JSONValue? = .object(root)
        for key in path.split(separator: ".") { value = value?[String(key)] }
        return value
    }

    /// A JSON value as a field value.
    private static func json(_ value: JSONValue?) -> FieldValue {
        switch value {
        case nil, .null?: return .none
        case .string(let s)?: return .text(s)
        case .int(let i)?: return .int(Int(i))
        case .double(let d)?: return .real(d)
        case let other?: return .text(other.compactText)
        }
    }
}
