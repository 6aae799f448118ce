// Jobs that are instances (fluxs alloc, fluxs batch): one fluxs-broker a node (the
// shell option per-resource), bootstrapped by the PMI of the parent's shells; a broker
// that fails ends the job (exit-on-error); -N takes whole nodes, as in Flux. The child's
// rank 0 posts its URI as the job's memo "uri" once it is up (fluxs-broker(1)), which is
// how a caller knows the instance is ready, and how `fluxs uri` finds it.
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsProcess

/// Building and finding instance jobs.
enum InstanceJob {
    /// The jobspec of an instance that runs `program` as its initial program ([]: a
    /// shell reading standard input; nil: nothing, it stays up until shut down).
    static func jobspec(_ submission: SubmissionOptions, program: [String]?, name: String) throws(CommandFailure) -> Jobspec {
        var options = submission
        if options.nodes != nil { options.exclusive = true }
        options.setopt += [#"per-resource={"type":"node","count":1}"#, "exit-on-error=1"]
        if options.jobName == nil { options.jobName = name }
        let command = [ProcessEnvironment.besideMe("fluxs-broker")]
        guard let program else { return try options.jobspec(command: command + ["-Sbroker.rc2_none=1"]) }
        return try options.jobspec(command: command + ["--"] + program)
    }

    /// Waits for the instance job `id` to post its URI; an error if it ends first.
    static func waitForURI(_ handle: FluxsHandle, _ id: JobID) throws -> String {
        let key = JobKeys(id).eventlog
        var cursor = EventlogCursor()
        var failure: String?
        var uri: String?
        try handle.stream(.kvs.watch, ["key": .string(key)]) { (body: JSONValue) throws(ServiceError) -> Bool in
            guard let text = body["value"]?.stringValue, let entries = try? cursor.newEntries(text) else { return true }
            for entry in entries {
                let context = entry.context ?? [:]
                switch entry.name {
                case "memo": if let found = context["uri"]?.stringValue { uri = found }
                case "exception" where (context["severity"]?.intValue ?? 0) == 0:
                    failure = "\(context["type"]?.stringValue ?? "exception"): \(context["note"]?.stringValue ?? "")"
                case "clean": if failure == nil { failure = "the job ended before its instance was up" }
                default: break
                }
            }
            return uri == nil && failure == nil
        }
        if let uri { return uri }
        throw CommandFailure("\(Jobs.show(id)): \(failure ?? "no URI")")
    }

    /// The URI of the instance at `path`: "." (this one), or job ids separated by "/",
    /// each an instance job of the one before. With `wait`, a job that has not yet
    /// posted its URI (pending, or starting) is waited for at each level.
    static func resolve(_ path: String, wait: Bool = false) throws -> (uri: FluxsURI, handle: FluxsHandle) {
        var handle = try Instance.connect()
        for part in path.split(separator: "/") where part != "." {
            let id = try Jobs.parse(String(part))
            if wait {
                do { _ = try waitForURI(handle, id) } catch let error as ServiceError {
                    throw CommandFailure(Jobs.message(id, error.message))
                }
            }
            let record: JSONValue
            do { record = try Jobs.info(handle, id) } catch { throw CommandFailure(Jobs.message(id, error.message)) }
            guard let text = record["memo"]?["uri"]?.stringValue else {
                throw CommandFailure("\(Jobs.show(id)) is not an instance (it has no URI)")
            }
            guard record["state"]?.stringValue == "RUN" else {
                throw CommandFailure("\(Jobs.show(id)) is not running (\(record["state"]?.stringValue ?? "?"))")
            }
            do {
                handle = try FluxsHandle(uri: try FluxsURI(parsing: text))
            } catch {
                throw CommandFailure("\(Jobs.show(id)): cannot reach its instance at \(text): \(error.message)")
            }
        }
        return (handle.uri, handle)
    }
}
