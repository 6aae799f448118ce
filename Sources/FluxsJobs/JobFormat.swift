// `fluxs jobs` output: the named formats (flux-jobs(1)'s default, long and deps), the
// column headings, and each field's value for a job record. Field names and headings
// are flux-core's:
//
//   id id.dec id.hex id.dothex id.kvs id.f58 id.f58plain id.words  JOBID
//   userid UID  username USER  urgency URG  priority PRI  state STATE  state_single S
//   name NAME  queue QUEUE  ntasks NTASKS  ncores NCORES  nnodes NNODES
//   duration DURATION  ranks RANKS  nodelist NODELIST  status STATUS  status_abbrev ST
//   result RESULT  result_abbrev RS  success SUCCESS  waitstatus WSTATUS  returncode RC
//   exception.occurred/.severity/.type/.note  EXCEPTION-OCCURRED (-SEVERITY, -TYPE, -NOTE)
//   t_submit t_depend t_run t_cleanup t_inactive  T_SUBMIT ...  runtime RUNTIME
//   expiration EXPIRATION  t_remaining T_REMAINING  dependencies DEPENDENCIES
//   contextual_info INFO  contextual_time TIME  inactive_reason INACTIVE-REASON
//   instance INSTANCE ("yes" for fluxs alloc/batch jobs)  uri URI (where such a job is)
//   annotations.KEY.KEY / sched.KEY / user.KEY / memo.KEY   KEY upper-cased
//
// `id` is the f58 form, as in Flux (`id.dec` is the number); `id` and `id.f58` print
// "ƒ" for a reader whose locale is UTF-8 and "f" otherwise (the reader says which: the
// listing is made on the broker). Unknown names are refused when the format is made.
// `username` asks the caller's uid -> name function; times are Unix seconds (use !D,
// !d, !F, !H to show them).
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

/// An output format for job records.
public struct JobFormat: Sendable {
    /// The named formats.
    public static let named: [String: String] = [
        "default": "{id.f58:>12} ?:{queue:<8.8} {username:<8.8} {name:<10.10+} {status_abbrev:>2.2} "
            + "{ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}",
        "long": "{id.f58:>12} ?:{queue:<8.8} {username:<8.8} {name:<10.10+} {status:>9.9} {ntasks:>6} "
            + "{nnodes:>6h} {t_submit!d:%b%d %R::>12} {t_remaining!F:>12h} {contextual_time!F:>8h} {contextual_info}",
        "deps": "{id.f58:>12} ?:{queue:<8.8} {name:<10.10+} {urgency:<3} {priority:<12} {state:<8.8} {dependencies}",
    ]

    /// Column headings of the fixed fields.
    public static let headings: [String: String] = {
        var table: [String: String] = [
            "userid": "UID", "username": "USER", "urgency": "URG", "priority": "PRI", "state": "STATE",
            "state_single": "S", "name": "NAME", "queue": "QUEUE", "ntasks": "NTASKS", "ncores": "NCORES",
            "nnodes": "NNODES", "duration": "DURATION", "ranks": "RANKS", "nodelist": "NODELIST",
            "status": "STATUS", "status_abbrev": "ST", "result": "RESULT", "result_abbrev": "RS",
            "success": "SUCCESS", "waitstatus": "WSTATUS", "returncode": "RC",
            "exception.occurred": "EXCEPTION-OCCURRED", "exception.severity": "EXCEPTION-SEVERITY",
            "exception.type": "EXCEPTION-TYPE", "exception.note": "EXCEPTION-NOTE",
            "t_submit": "T_SUBMIT", "t_depend": "T_DEPEND", "t_run": "T_RUN", "t_cleanup": "T_CLEANUP",
            "t_inactive": "T_INACTIVE", "runtime": "RUNTIME", "expiration": "EXPIRATION",
            "t_remaining": "T_REMAINING", "dependencies": "DEPENDENCIES", "contextual_info": "INFO", "instance": "INSTANCE", "uri": "URI",
            "contextual_time": "TIME", "inactive_reason": "INACTIVE-REASON", "annotations": "ANNOTATIONS",
        ]
        for form in ["id"] + JobIDForm.allCases.map({ "id." + $0.rawValue }) { table[form] = "JOBID" }
        return table
    }()

    /// The parsed format.
    public let format: OutputFormat
    /// How `{id}` and `{id.f58}` print: .f58 ("ƒ"), or .f58plain ("f") for a reader
    /// whose locale cannot show "ƒ".
    public var f58: JobIDForm = .f58

    /// A format string, or the name of a named format; EINVAL for a bad format or field.
    public init(_ text: String) throws(ServiceError) {
        let source = text.contains("{") ? text : try Self.lookup(text)
        do { format = try OutputFormat(source) } catch { throw ServiceError(EINVAL, error.message) }
        for name in format.fieldNames where Self.heading(of: name) == nil {
            throw ServiceError(EINVAL, "format: unknown field \"\(name)\"")
        }
    }

    private static func lookup(_ name: String) throws(ServiceError) -> String {
        guard let text = named[name] else { throw ServiceError(EINVAL, "--format: No such format \(name)") }
        return text
    }

    /// The heading of a field, nil if there is no such field.
    public static func heading(of name: String) -> String? {
        if let heading = headings[name] { return heading }
        for prefix in ["annotations.", "sched.", "user.", "memo."] where name.hasPrefix(prefix) {
            return (prefix == "annotations." ? String(name.dropFirst(prefix.count)) : name).uppercased()
        }
        return nil
    }

    /// The listing: a header line unless `header` is false, then a line per record.
    public func lines(_ records: [JobRecord], header: Bool = true, now: Double,
                      username: (UInt32) -> String? = { _ in nil }) -> [String] {
        format.render(records, header: header, heading: { Self.heading(of: $0) ?? $0.uppercased() }) { record, name in
            Self.value(of: name, in: record, now: now, f58: f58, username: username)
        }
    }
}
