// Applying one eventlog entry to a record: RFC 21's transition table, then the
// event's effect on the record's fields.
//
//   event              in state                      to
//   submit             NEW (first entry only)        NEW
//   validate           NEW                           DEPEND
//   invalidate         NEW                           NEW (the job is to be removed)
//   dependency-add     NEW, DEPEND                   (same)
//   dependency-remove  NEW, DEPEND                   (same; must match an added one)
//   depend             DEPEND (none outstanding)     PRIORITY
//   urgency            NEW, DEPEND, PRIORITY, SCHED  (same)
//   jobspec-update     NEW, DEPEND, PRIORITY         (same)      the summary follows (JobUpdate)
//   jobspec-update     SCHED                         PRIORITY    (as in Flux: the priority is posted again)
//   jobspec-update     RUN, CLEANUP                  (same)
//   resource-update    RUN, CLEANUP                  (same)      {expiration}: R's expiration
//   priority           PRIORITY                      SCHED
//   priority           SCHED                         SCHED (reprioritized)
//   alloc              SCHED                         RUN
//   alloc              CLEANUP                       CLEANUP (arrived after a fatal exception)
//   start              RUN, CLEANUP                  (same)
//   finish             RUN                           CLEANUP
//   finish             CLEANUP                       CLEANUP
//   release            RUN, CLEANUP                  (same)
//   free               CLEANUP                       CLEANUP
//   clean              CLEANUP                       INACTIVE
//   exception          any but INACTIVE              CLEANUP if severity 0, else (same)
//   anything else      any but INACTIVE              (same)  memo, flux-restart, debug.*, ...
//
// Nothing may follow `clean` or `invalidate`. A known event in a state the table does
// not list throws EINVAL, as does a malformed context; the record is then unchanged.
#if canImport(Glibc)
import Glibc
#endif
import FluxsFormats
import FluxsMessage

extension JobRecord {
    /// One row of the transition table.
    public struct Transition: Sendable, Hashable {
        /// The event name.
        public var event: String
        /// A state the event may arrive in.
        public var from: JobState
        /// The state after it.
        public var to: JobState
    }

    /// The transition table above, less `exception` (which depends on severity) and the
    /// events that change no state anywhere.
    public static let transitions: [Transition] = {
        let rows: [(String, [JobState], JobState?)] = [
            ("submit", [.new], nil), ("validate", [.new], .depend), ("invalidate", [.new], nil),
            ("dependency-add", [.new, .depend], nil), ("dependency-remove", [.new, .depend], nil),
            ("depend", [.depend], .priority), ("urgency", [.new, .depend, .priority, .sched], nil),
            ("jobspec-update", [.new, .depend, .priority, .run, .cleanup], nil), ("jobspec-update", [.sched], .priority),
            ("resource-update", [.run, .cleanup], nil),
            ("priority", [.priority, .sched], .sched),
            ("alloc", [.sched], .run), ("alloc", [.cleanup], nil),
            ("start", [.run, .cleanup], nil), ("finish", [.run, .cleanup], .cleanup),
            ("release", [.run, .cleanup], nil), ("free", [.cleanup], nil), ("clean", [.cleanup], .inactive),
        ]
        return rows.flatMap { event, states, to in states.map { Transition(event: event, from: $0, to: to ?? $0) } }
    }()

    /// The table by event, then state.
    private static let table: [String: [JobState: JobState]] = transitions.reduce(into: [:]) { table, row in
        table[row.event, default: [:]][row.from] = row.to
    }

    /// Applies the next entry of this job's eventlog. `resources` is R, given with `alloc`.
    public mutating func apply(_ entry: EventlogEntry, resources: ResourceSet? = nil) throws(ServiceError) {
        let name = entry.name
        if eventCount == 0, name != "submit" { throw fault("the first event must be submit, not \(name)") }
        if eventCount > 0, name == "submit" { throw fault("submit may only be the first event") }
        if state == .inactive { throw fault("event \(name) after the job became inactive") }
        if invalidated { throw fault("event \(name) after invalidate") }
        var next = state
        if name == "exception" {
            let exception = try exceptionContext(entry)
            if exception.isFatal { next = .cleanup }
        } else if let row = Self.table[name] {
            guard let to = row[state] else { throw fault("event \(name) is not valid in state \(state.name)") }
            next = to
        }
        var copy = self
        try copy.update(with: entry, resources: resources)
        self = copy
        if next != state {
            state = next
            timestamps[next] = entry.timestamp
        }
        eventCount += 1
    }

    /// The event's effect on the fields (state aside).
    private mutating func update(with entry: EventlogEntry, resources: ResourceSet?) throws(ServiceError) {
        switch entry.name {
        case "submit":
            urgency = try urgencyValue(entry)
            userid = try uint32(entry, "userid")
            flags = Int(try optionalInt(entry, "flags") ?? 0)
            timestamps[.new] = entry.timestamp
        case "invalidate":
            invalidated = true
        case "dependency-add":
            let description = try string(entry, "description")
            if !dependencies.contains(description) { dependencies.append(description) }
        case "dependency-remove":
            let description = try string(entry, "description")
            guard let index = dependencies.firstIndex(of: description) else {
                throw fault("dependency-remove of \"\(description)\", which was never added")
            }
            dependencies.remove(at: index)
        case "depend":
            if !dependencies.isEmpty { throw fault("depend with dependencies outstanding") }
        case "urgency":
            urgency = try urgencyValue(entry)
        case "priority":
            priority = try uint32(entry, "priority")
        case "alloc":
            allocated = true
            annotations = entry.context?["annotations"]?.objectValue ?? [:]
            if let resources { self.resources = JobResources(resources) }
        case "start":
            started = true
        case "finish":
            guard let status = try optionalInt(entry, "status"), let value = Int32(exactly: status) else {
                throw fault("finish needs an integer \"status\"")
            }
            finished = true
            waitstatus = value
        case "release":
            if entry.context?["final"]?.boolValue == true { releasedFinal = true }
        case "free":
            freed = true
        case "exception":
            exceptions.append(try exceptionContext(entry))
        case "jobspec-update":
            summary = try JobUpdate.applied(entry.context ?? [:], to: summary, job: id)
        case "resource-update":
            guard let expiration = entry.context?["expiration"]?.doubleValue, expiration.isFinite, expiration >= 0 else {
                throw fault("resource-update needs an \"expiration\" of 0 or more")
            }
            self.resources?.expiration = expiration
        case "memo":
            for (key, value) in entry.context ?? [:] {
                if value.isNull { memo[key] = nil } else { memo[key] = value }
            }
        default:
            break
        }
    }

    /// The exception an `exception` entry carries.
    private func exceptionContext(_ entry: EventlogEntry) throws(ServiceError) -> JobException {
        let type = try string(entry, "type")
        guard let severity = try optionalInt(entry, "severity"), (0...7).contains(severity) else {
            throw fault("exception needs a \"severity\" from 0 to 7")
        }
        let userid = try optionalInt(entry, "userid").flatMap { UInt32(exactly: $0) }
        return JobException(type: type, severity: Int(severity),
                            note: entry.context?["note"]?.stringValue ?? "", userid: userid)
    }

    private func urgencyValue(_ entry: EventlogEntry) throws(ServiceError) -> Int {
        guard let value = try optionalInt(entry, "urgency"), JobUrgency.range.contains(Int(value)) else {
            throw fault("\(entry.name) needs an \"urgency\" from 0 to 31")
        }
        return Int(value)
    }

    private func string(_ entry: EventlogEntry, _ key: String) throws(ServiceError) -> String {
        guard let value = entry.context?[key]?.stringValue else {
            throw fault("\(entry.name) needs a string \"\(key)\"")
        }
        return value
    }

    private func uint32(_ entry: EventlogEntry, _ key: String) throws(ServiceError) -> UInt32 {
        guard let raw = try optionalInt(entry, key), let value = UInt32(exactly: raw) else {
            throw fault("\(entry.name) needs an integer \"\(key)\" from 0 to 4294967295")
        }
        return value
    }

    private func optionalInt(_ entry: EventlogEntry, _ key: String) throws(ServiceError) -> Int64? {
        guard let value = entry.context?[key] else { return nil }
        if let int = value.intValue { return int }
        if let double = value.doubleValue, let int = Int64(exactly: double) { return int }
        throw fault("\(entry.name): \"\(key)\" must be an integer")
    }

    /// EINVAL naming the job.
    func fault(_ text: String) -> ServiceError {
        ServiceError(EINVAL, "job \(id): \(text)")
    }
}
