// The job manager, job-exec and the shells (man/man7/fluxs-job-exec.7): the typed
// payloads of job-exec.start and its reports, job-exec.kill, job-exec.launch and its
// reports, job-exec.signal, and the launch document a shell reads at start.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// A job to run: job-exec.start (the job manager to rank 0) and job-exec.launch (rank 0
/// to each rank of the job), both streaming.
public struct ExecJob: Sendable, Hashable {
    public var id: JobID
    public var jobspec: JSONValue
    /// The job's R as JSON (each receiver reads what it needs of it).
    public var R: JSONValue
    /// The user the job runs as.
    public var userid: UInt32
    /// The guest's signed request (J), which fluxs-imp checks before it starts the
    /// guest's shell; nil for the instance owner's jobs.
    public var signed: String?

    public init(id: JobID, jobspec: JSONValue, R: JSONValue, userid: UInt32, signed: String? = nil) {
        self.id = id
        self.jobspec = jobspec
        self.R = R
        self.userid = userid
        self.signed = signed
    }

    /// Reads the request; a missing userid is the instance owner's (`owner`).
    public init(json: JSONValue, owner: @autoclosure () -> UInt32) throws(ServiceError) {
        id = try json.jobID()
        guard let spec = json["jobspec"], let r = json["R"] else { throw ServiceError(EPROTO, "missing \"jobspec\" or \"R\"") }
        jobspec = spec
        R = r
        userid = try json.integer("userid", as: UInt32.self) ?? owner()
        signed = try json.string("J")
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["id": id.wire, "jobspec": jobspec, "R": R, "userid": .int(Int64(userid))]
        if let signed { object["J"] = .string(signed) }
        return .object(object)
    }
}

/// One response on a job-exec.start stream (then ENODATA).
public enum ExecReport: Sendable, Hashable {
    /// Every shell of the job runs.
    case start
    /// A shell could not start, or failed.
    case exception(note: String)
    /// Every shell ended; the job's status.
    case finish(ExitStatus)

    public init(json: JSONValue) throws(ServiceError) {
        switch try json.string("type") {
        case "start": self = .start
        case "exception": self = .exception(note: try json.string("note") ?? "")
        case "finish":
            guard let status = try json.integer("status", as: Int32.self) else {
                throw ServiceError(EPROTO, "job-exec finish without \"status\"")
            }
            self = .finish(ExitStatus(waitStatus: status))
        case let other: throw ServiceError(EPROTO, "job-exec report of unknown type \(other.map { "\"\($0)\"" } ?? "(none)")")
        }
    }

    public var json: JSONValue {
        switch self {
        case .start: ["type": "start"]
        case .exception(let note): ["type": "exception", "note": .string(note)]
        case .finish(let status): ["type": "finish", "status": .int(Int64(status.waitStatus))]
        }
    }
}

/// One response on a job-exec.launch stream (then ENODATA).
public enum ShellReport: Sendable, Hashable {
    /// The shell runs.
    case started
    /// The shell ended: the job's status on that rank, and what went wrong, if anything.
    case exited(ExitStatus, error: String?)

    public init(json: JSONValue) throws(ServiceError) {
        switch try json.string("type") {
        case "started": self = .started
        case "exited":
            guard let status = try json.integer("status", as: Int32.self) else {
                throw ServiceError(EPROTO, "job-exec.launch exited without \"status\"")
            }
            let error = try json.string("error")
            self = .exited(ExitStatus(waitStatus: status), error: error?.isEmpty == true ? nil : error)
        case let other: throw ServiceError(EPROTO, "job-exec.launch report of unknown type \(other.map { "\"\($0)\"" } ?? "(none)")")
        }
    }

    public var json: JSONValue {
        switch self {
        case .started: return ["type": "started"]
        case .exited(let status, let error):
            var object: [String: JSONValue] = ["type": "exited", "status": .int(Int64(status.waitStatus))]
            if let error { object["error"] = .string(error) }
            return .object(object)
        }
    }
}

/// job-exec.kill (rank 0): signal a job's tasks; with `terminate`, SIGKILL follows
/// after job-exec.kill-timeout if its shells are still there.
public struct ExecKill: Sendable, Hashable {
    public var id: JobID
    public var signal: Int32
    public var terminate: Bool

    public init(id: JobID, signal: Int32, terminate: Bool = false) {
        self.id = id
        self.signal = signal
        self.terminate = terminate
    }

    public init(json: JSONValue) throws(ServiceError) {
        id = try json.jobID()
        signal = try json.signal() ?? SIGTERM
        terminate = try json.flag("terminate") ?? false
    }

    public var json: JSONValue { ["id": id.wire, "signal": .int(Int64(signal)), "terminate": .bool(terminate)] }
}

/// job-exec.signal (each rank): signal the job's shell there and its tasks.
public struct ShellSignal: Sendable, Hashable {
    public var id: JobID
    public var signal: Int32

    public init(id: JobID, signal: Int32) {
        self.id = id
        self.signal = signal
    }

    public init(json: JSONValue) throws(ServiceError) {
        id = try json.jobID()
        signal = try json.signal() ?? SIGTERM
    }

    public var json: JSONValue { ["id": id.wire, "signal": .int(Int64(signal))] }
}

/// What job-exec hands a shell on the descriptor named by --input-fd.
public struct ShellLaunch: Sendable, Hashable {
    public var id: JobID
    /// The rank of the broker that started the shell.
    public var rank: UInt32
    /// That broker's local URI.
    public var uri: String
    public var jobspec: JSONValue
    public var R: JSONValue
    /// The cgroup to join before starting tasks (when job-exec could make one).
    public var cgroup: String?
    /// The job's temporary directory (FLUXS_JOB_TMPDIR).
    public var tmpdir: String?
    /// The OS CPUs of each core of this node, by R core id, as idsets.
    public var coreCPUs: [String]

    public init(id: JobID, rank: UInt32, uri: String, jobspec: JSONValue, R: JSONValue,
                cgroup: String? = nil, tmpdir: String? = nil, coreCPUs: [String] = []) {
        self.id = id
        self.rank = rank
        self.uri = uri
        self.jobspec = jobspec
        self.R = R
        self.cgroup = cgroup
        self.tmpdir = tmpdir
        self.coreCPUs = coreCPUs
    }

    public init(json: JSONValue) throws(ServiceError) {
        guard let spec = json["jobspec"], let r = json["R"] else {
            throw ServiceError(EPROTO, "the shell input lacks id, rank, uri, jobspec or R")
        }
        id = try json.jobID()
        rank = try json.requiredInteger("rank", as: UInt32.self)
        uri = try json.requiredString("uri")
        jobspec = spec
        R = r
        cgroup = try json.string("cgroup")
        tmpdir = try json.string("tmpdir")
        coreCPUs = (json["core_cpus"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
    }

    public var json: JSONValue {
        var object = [String: JSONValue](minimumCapacity: 8)
        object["id"] = id.wire
        object["rank"] = .int(Int64(rank))
        object["uri"] = .string(uri)
        object["jobspec"] = jobspec
        object["R"] = R
        if let cgroup { object["cgroup"] = .string(cgroup) }
        if let tmpdir { object["tmpdir"] = .string(tmpdir) }
        if !coreCPUs.isEmpty { object["core_cpus"] = .array(coreCPUs.map { .string($0) }) }
        return .object(object)
    }
}
