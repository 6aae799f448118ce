// The job manager and the scheduler (man/man7/fluxs-sched-protocol.7): the typed
// payloads of sched.hello, sched.alloc and its stream, sched.free, sched.cancel and
// sched.prioritize, each with its one JSON codec.
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// A request that names one job: {"id": ID} (sched.free, sched.cancel).
public struct JobRequest: Sendable, Hashable {
    public var id: JobID
    public init(_ id: JobID) { self.id = id }
    public init(json: JSONValue) throws(ServiceError) { id = try json.jobID() }
    public var json: JSONValue { ["id": id.wire] }
}

/// sched.alloc: resources for one job (a streaming request).
public struct SchedAllocRequest: Sendable, Hashable {
    public var id: JobID
    /// 0 to 4294967295; 16 when the job manager does not say.
    public var priority: Int64
    public var userid: UInt32
    /// When the job was submitted (seconds since the epoch).
    public var submitTime: Double?
    /// The job's jobspec (validated again by the scheduler).
    public var jobspec: JSONValue

    public init(id: JobID, priority: Int64, userid: UInt32, submitTime: Double?, jobspec: JSONValue) {
        self.id = id
        self.priority = priority
        self.userid = userid
        self.submitTime = submitTime
        self.jobspec = jobspec
    }

    public init(json: JSONValue) throws(ServiceError) {
        id = try json.jobID()
        priority = try json.integer("priority", as: Int64.self, in: 0...Int64(UInt32.max)) ?? 16
        userid = try json.integer("userid", as: UInt32.self) ?? 0
        submitTime = try json.number("t_submit")
        guard let spec = json["jobspec"] else { throw ServiceError(EPROTO, "missing \"jobspec\" in the request") }
        jobspec = spec
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": id.wire, "priority": .int(priority), "userid": .int(Int64(userid)), "jobspec": jobspec,
        ]
        if let submitTime { object["t_submit"] = .double(submitTime) }
        return .object(object)
    }
}

/// One response on a sched.alloc stream (a denial is an ENOSPC error, the end ENODATA).
public enum SchedAllocResponse: Sendable, Hashable {
    /// The job's resources.
    case success(JobID, ResourceSet)
    /// News about a pending job (annotations.sched.reason_pending, t_estimate).
    case annotate(JobID, annotations: [String: JSONValue])
    /// The request was canceled (sched.cancel).
    case cancel(JobID)

    public init(json: JSONValue) throws(ServiceError) {
        let id = try json.jobID()
        switch try json.string("type") {
        case "success":
            guard let r = json["R"] else { throw ServiceError(EPROTO, "sched.alloc success without \"R\"") }
            do { self = .success(id, try ResourceSet(json: r)) } catch {
                throw ServiceError(EPROTO, "sched.alloc success with an unreadable R: \(error.message)")
            }
        case "annotate": self = .annotate(id, annotations: json["annotations"]?.objectValue ?? [:])
        case "cancel": self = .cancel(id)
        case let other: throw ServiceError(EPROTO, "sched.alloc response of unknown type \(other.map { "\"\($0)\"" } ?? "(none)")")
        }
    }

    public var json: JSONValue {
        switch self {
        case .success(let id, let R): ["id": id.wire, "type": "success", "R": R.json]
        case .annotate(let id, let annotations): ["id": id.wire, "type": "annotate", "annotations": .object(annotations)]
        case .cancel(let id): ["id": id.wire, "type": "cancel"]
        }
    }
}

/// sched.hello: the jobs that hold resources when the scheduler (re)starts.
public struct SchedHello: Sendable, Hashable {
    public var running: [Allocation]

    /// A job and its resources.
    public struct Allocation: Sendable, Hashable {
        public var id: JobID
        public var R: ResourceSet
        public init(id: JobID, R: ResourceSet) {
            self.id = id
            self.R = R
        }
    }

    public init(running: [Allocation]) { self.running = running }

    public init(json: JSONValue) throws(ServiceError) {
        running = []
        guard let list = json["running"].map({ $0.isNull ? [] : $0.arrayValue }) ?? [] else {
            throw ServiceError(EPROTO, "sched.hello: \"running\" must be an array")
        }
        for job in list {
            let id = try job.jobID()
            guard let r = job["R"] else { throw ServiceError(EPROTO, "sched.hello: each job needs id and R") }
            do { running.append(Allocation(id: id, R: try ResourceSet(json: r))) } catch {
                throw ServiceError(EPROTO, "sched.hello: job \(id.formatted(.f58)): \(error.message)")
            }
        }
    }

    public var json: JSONValue { ["running": .array(running.map { ["id": $0.id.wire, "R": $0.R.json] })] }
}

/// sched.prioritize: new priorities for pending jobs, {"jobs": [[ID, PRIORITY], ...]}.
public struct SchedPrioritize: Sendable, Hashable {
    public var jobs: [(id: JobID, priority: Int64)]

    public init(_ jobs: [(id: JobID, priority: Int64)]) { self.jobs = jobs }

    public init(json: JSONValue) throws(ServiceError) {
        jobs = []
        guard let list = json["jobs"].map({ $0.isNull ? [] : $0.arrayValue }) ?? [] else {
            throw ServiceError(EPROTO, "sched.prioritize: \"jobs\" must be an array")
        }
        for pair in list {
            guard let items = pair.arrayValue, items.count == 2, let id = JobID(wire: items[0]),
                  let priority = items[1].intValue, (0...Int64(UInt32.max)).contains(priority)
            else { throw ServiceError(EPROTO, "sched.prioritize: each entry must be [id, priority 0-4294967295]") }
            jobs.append((id, priority))
        }
    }

    public var json: JSONValue { ["jobs": .array(jobs.map { [$0.id.wire, .int($0.priority)] })] }

    public static func == (a: Self, b: Self) -> Bool { a.jobs.elementsEqual(b.jobs) { $0 == $1 } }
    public func hash(into hasher: inout Hasher) { for job in jobs { hasher.combine(job.id); hasher.combine(job.priority) } }
}

/// job-manager.raise: an exception on a job (from a user, the scheduler, a shell).
public struct JobRaise: Sendable, Hashable {
    public var id: JobID
    public var type: String
    /// 0 is fatal.
    public var severity: Int
    public var note: String

    public init(id: JobID, type: String, severity: Int = 0, note: String = "") {
        self.id = id
        self.type = type
        self.severity = severity
        self.note = note
    }

    public init(json: JSONValue) throws(ServiceError) {
        id = try json.jobID()
        type = try json.string("type") ?? "cancel"
        severity = try json.integer("severity", as: Int.self, in: 0...7) ?? 0
        note = try json.string("note") ?? ""
    }

    public var json: JSONValue { ["id": id.wire, "type": .string(type), "severity": .int(Int64(severity)), "note": .string(note)] }
}
