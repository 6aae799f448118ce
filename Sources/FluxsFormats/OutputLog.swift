// The job's standard I/O eventlogs in the KVS, as in Flux RFC 24: `guest.output`
// holds a header, then data entries of each task's stdout and stderr and an eof entry
// per task and stream; `guest.input` holds a header, then data for the tasks' stdin
// and one eof. The shells write them, `fluxs job attach` reads them. Pure.
//
//   header  {"version": 1, "encoding": {"stdout": "UTF-8", "stderr": "UTF-8"},
//            "count": {"stdout": N, "stderr": N}, "options": {}}
//           (guest.input: {"encoding": {"stdin": "UTF-8"}, "count": {"stdin": 1}, ...})
//   data    {"stream": "stdout"|"stderr"|"stdin", "rank": IDSET, "data": TEXT}
//   data    {"stream": ..., "rank": IDSET, "eof": true}       (the stream's end)
//
// Data is carried as text: bytes that are not UTF-8 become U+FFFD.

/// One entry of an output or input eventlog.
public enum OutputRecord: Sendable, Hashable {
    /// The log's header: how many tasks write (or read) each of `streams`.
    case header(tasks: Int, streams: [String] = ["stdout", "stderr"])
    /// Some bytes of one stream from (or, for stdin, to) the tasks `ranks`.
    case data(stream: String, ranks: String, text: String)
    /// The end of one stream of the tasks `ranks`.
    case eof(stream: String, ranks: String)

    /// The entry, stamped `timestamp`.
    public func entry(at timestamp: Double) -> EventlogEntry {
        switch self {
        case .header(let tasks, let streams):
            var encoding: [String: JSONValue] = [:]
            var count: [String: JSONValue] = [:]
            for stream in streams {
                encoding[stream] = "UTF-8"
                count[stream] = .int(Int64(tasks))
            }
            return EventlogEntry(timestamp: timestamp, name: "header", context: [
                "version": 1, "encoding": .object(encoding), "count": .object(count), "options": [:],
            ])
        case .data(let stream, let ranks, let text):
            return EventlogEntry(timestamp: timestamp, name: "data", context: [
                "stream": .string(stream), "rank": .string(ranks), "data": .string(text),
            ])
        case .eof(let stream, let ranks):
            return EventlogEntry(timestamp: timestamp, name: "data", context: [
                "stream": .string(stream), "rank": .string(ranks), "eof": true,
            ])
        }
    }

    /// Each line of `text` prefixed with "RANKS: " (--label-io).
    public static func labeled(_ text: String, _ ranks: String) -> String {
        var out = ""
        var atStart = true
        for char in text {
            if atStart { out += ranks + ": " }
            out.append(char)
            atStart = char == "\n"
        }
        return out
    }

    /// The record an entry holds; nil for entries of other kinds.
    public init?(_ entry: EventlogEntry) {
        let context = entry.context ?? [:]
        switch entry.name {
        case "header":
            let count = context["count"]?.objectValue ?? [:]
            self = .header(tasks: Int(count.values.first?.intValue ?? 0), streams: count.keys.sorted())
        case "data":
            guard let stream = context["stream"]?.stringValue, let ranks = context["rank"]?.stringValue else { return nil }
            if context["eof"]?.boolValue == true {
                self = .eof(stream: stream, ranks: ranks)
            } else {
                self = .data(stream: stream, ranks: ranks, text: context["data"]?.stringValue ?? "")
            }
        default:
            return nil
        }
    }
}

/// The file names `--output`, `--error` and `--input` take: `{{id}}` (f58), and
/// `{{id.f58}}`, `{{id.dec}}`, `{{id.hex}}`, `{{id.dothex}}`, `{{id.words}}`,
/// `{{jobid}}` (as `{{id}}`), `{{name}}` (the job's name).
public enum OutputTemplate {
    /// The file a template names for a job: filled in, and relative to the job's cwd.
    public static func path(_ template: String, id: JobID, jobspec: Jobspec) -> String {
        let name = jobspec.jobName ?? String(jobspec.task.command.first?.split(separator: "/").last ?? "")
        let path = render(template, id: id, name: name)
        if path.hasPrefix("/") { return path }
        return (jobspec.cwd ?? ".") + "/" + path
    }

    /// The output and error files of a job's shell options, as "stdout"/"stderr" to a
    /// path (stderr goes with stdout unless it is named apart); empty: the KVS.
    public static func files(id: JobID, jobspec: Jobspec) -> [String: String] {
        let output = jobspec.shellOptions["output"]
        var files: [String: String] = [:]
        if let template = output?["stdout"]?["path"]?.stringValue { files["stdout"] = path(template, id: id, jobspec: jobspec) }
        if let template = output?["stderr"]?["path"]?.stringValue {
            files["stderr"] = path(template, id: id, jobspec: jobspec)
        } else if let out = files["stdout"] {
            files["stderr"] = out
        }
        return files
    }

    /// The job's temporary directory on broker rank `rank` (FLUXS_JOB_TMPDIR), under
    /// `environment`'s TMPDIR (the node's), else /tmp; `broker` (the broker's pid) keeps
    /// the jobs of two instances on one node apart.
    public static func jobDirectory(id: JobID, rank: UInt32, broker: Int32, environment: [String: String]) -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(base)/fluxs-job-\(id.formatted(.f58plain))-\(rank)-\(broker)"
    }

    /// `template` with its placeholders filled in.
    public static func render(_ template: String, id: JobID, name: String) -> String {
        guard template.contains("{{") else { return template }
        var text = template
        let forms: [(String, String)] = [
            ("{{id}}", id.formatted(.f58)), ("{{jobid}}", id.formatted(.f58)), ("{{id.f58}}", id.formatted(.f58)),
            ("{{id.dec}}", id.formatted(.dec)), ("{{id.hex}}", id.formatted(.hex)),
            ("{{id.dothex}}", id.formatted(.dothex)), ("{{id.words}}", id.formatted(.words)), ("{{name}}", name),
        ]
        for (placeholder, value) in forms { text = text.replacing(placeholder, with: value) }
        return text
    }
}
