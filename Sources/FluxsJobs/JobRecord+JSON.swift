// `fluxs jobs --json`: a record as a JSON object with job-list's keys, leaving out
// what does not apply (unset timestamps, empty strings), as flux-jobs(1) does:
// id, userid, urgency, priority, state, status, result, name, queue, ntasks, ncores,
// nnodes, duration, ranks, nodelist, dependencies, t_submit ... t_inactive, runtime,
// waitstatus, returncode, success, exception {occurred, severity, type, note},
// annotations, memo. A listing is {"jobs": [ ... ]}.
import FluxsFormats
import FluxsProtocol

extension JobRecord {
    /// The record as a JSON object at time `now`.
    public func json(now: Double) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": id.wire, "userid": .int(Int64(userid)), "urgency": .int(Int64(urgency)),
            "state": .string(state.name), "status": .string(status.name), "name": .string(summary.name),
            "ntasks": .int(Int64(summary.ntasks)), "ncores": .int(Int64(resources?.ncores ?? summary.ncores)),
        ]
        if let priority { object["priority"] = .int(Int64(priority)) }
        if let result { object["result"] = .string(result.name) }
        if let queue = summary.queue, !queue.isEmpty { object["queue"] = .string(queue) }
        if let nnodes { object["nnodes"] = .int(Int64(nnodes)) }
        if summary.duration > 0 { object["duration"] = .double(summary.duration) }
        if let resources {
            object["ranks"] = .string(resources.ranks.description)
            if !resources.nodelist.isEmpty { object["nodelist"] = .string(resources.nodelist) }
            if resources.expiration > 0 { object["expiration"] = .double(resources.expiration) }
        }
        if !dependencies.isEmpty { object["dependencies"] = .array(dependencies.map { .string($0) }) }
        let keys: [(JobState, String)] = [(.new, "t_submit"), (.depend, "t_depend"), (.run, "t_run"),
                                          (.cleanup, "t_cleanup"), (.inactive, "t_inactive")]
        for (state, key) in keys { if let time = timestamps[state] { object[key] = .double(time) } }
        let runtime = runtime(now: now)
        if runtime > 0 { object["runtime"] = .double(runtime) }
        if let waitstatus { object["waitstatus"] = .int(Int64(waitstatus)) }
        if let returncode { object["returncode"] = .int(Int64(returncode)) }
        if let success { object["success"] = .bool(success) }
        if let exception {
            object["exception"] = ["occurred": true, "severity": .int(Int64(exception.severity)),
                                   "type": .string(exception.type), "note": .string(exception.note)]
        } else {
            object["exception"] = ["occurred": false]
        }
        if !annotations.isEmpty { object["annotations"] = .object(annotations) }
        if !memo.isEmpty { object["memo"] = .object(memo) }
        return .object(object)
    }
}

extension JobListQuery {
    /// `{"jobs": [...]}` for the selected records.
    public static func json(_ records: [JobRecord], now: Double) -> JSONValue {
        .object(["jobs": .array(records.map { $0.json(now: now) })])
    }
}
