// JobRecord.apply: every RFC 21 transition (from this test's own table), refusals of
// events in the wrong state, exceptions in each state, field effects, and replay.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

/// Entries that take a fresh record to `state`.
func entries(upTo state: JobState) -> [EventlogEntry] {
    let path: [(String, [String: JSONValue]?)] = [
        ("submit", ["urgency": 16, "userid": 100, "flags": 0, "version": 1]), ("validate", nil), ("depend", nil),
        ("priority", ["priority": 16]), ("alloc", nil), ("finish", ["status": 0]), ("clean", nil),
    ]
    let order: [JobState] = [.new, .depend, .priority, .sched, .run, .cleanup, .inactive]
    let count = order.firstIndex(of: state)! + 1
    return path.prefix(count).enumerated().map { EventlogEntry(timestamp: 10 + Double($0), name: $1.0, context: $1.1) }
}

func record(in state: JobState) throws -> JobRecord {
    try JobRecord(replaying: entries(upTo: state), id: JobID(42), summary: JobSummary(name: "a"))
}

struct JobRecordTests {
    /// (state, event, context, next state or nil if refused)
    static let table: [(JobState, String, [String: JSONValue]?, JobState?)] = [
        (.new, "validate", nil, .depend), (.new, "invalidate", nil, .new),
        (.new, "dependency-add", ["description": "x"], .new), (.new, "urgency", ["urgency": 3, "userid": 1], .new),
        (.new, "alloc", nil, nil), (.new, "depend", nil, nil), (.new, "clean", nil, nil),
        (.depend, "depend", nil, .priority), (.depend, "dependency-add", ["description": "x"], .depend),
        (.depend, "urgency", ["urgency": 0, "userid": 1], .depend), (.depend, "priority", ["priority": 1], nil),
        (.depend, "alloc", nil, nil), (.depend, "validate", nil, nil), (.depend, "start", nil, nil),
        (.priority, "priority", ["priority": 7], .sched), (.priority, "urgency", ["urgency": 1, "userid": 1], .priority),
        (.priority, "alloc", nil, nil), (.priority, "depend", nil, nil),
        (.sched, "alloc", nil, .run), (.sched, "priority", ["priority": 9], .sched),
        (.sched, "urgency", ["urgency": 20, "userid": 1], .sched), (.sched, "start", nil, nil),
        (.sched, "finish", ["status": 0], nil), (.sched, "free", nil, nil), (.sched, "clean", nil, nil),
        (.run, "start", nil, .run), (.run, "finish", ["status": 256], .cleanup),
        (.run, "release", ["ranks": "all", "final": true], .run), (.run, "alloc", nil, nil),
        (.run, "urgency", ["urgency": 1, "userid": 1], nil), (.run, "priority", ["priority": 1], nil),
        (.run, "free", nil, nil), (.run, "clean", nil, nil),
        (.cleanup, "release", ["ranks": "all", "final": true], .cleanup), (.cleanup, "free", nil, .cleanup),
        (.cleanup, "clean", nil, .inactive), (.cleanup, "alloc", nil, .cleanup), (.cleanup, "start", nil, .cleanup),
        (.cleanup, "finish", ["status": 9], .cleanup), (.cleanup, "depend", nil, nil),
        (.cleanup, "urgency", ["urgency": 1, "userid": 1], nil),
        (.inactive, "memo", ["a": 1], nil), (.inactive, "clean", nil, nil), (.inactive, "exception",
            ["type": "x", "severity": 0, "note": ""], nil),
    ]

    @Test(arguments: 0..<table.count)
    func transition(row: Int) throws {
        let (from, name, context, to) = Self.table[row]
        var job = try record(in: from)
        let before = job
        let entry = EventlogEntry(timestamp: 100, name: name, context: context)
        if let to {
            try job.apply(entry)
            #expect(job.state == to, "\(from) + \(name)")
            if to != from { #expect(job.timestamps[to] == 100) }
        } else {
            #expect(throws: ServiceError.self, "\(from) + \(name) should be refused") { try job.apply(entry) }
            #expect(job == before)
        }
    }

    @Test(arguments: [JobState.new, .depend, .priority, .sched, .run, .cleanup])
    func exceptionsInEachState(state: JobState) throws {
        var job = try record(in: state)
        try job.apply(EventlogEntry(timestamp: 50, name: "exception",
                                    context: ["type": "test", "severity": 1, "note": "minor"]))
        #expect(job.state == state)
        try job.apply(EventlogEntry(timestamp: 51, name: "exception",
                                    context: ["type": "cancel", "severity": 0, "note": "stop", "userid": 7]))
        #expect(job.state == .cleanup)
        #expect(job.exception == JobException(type: "cancel", severity: 0, note: "stop", userid: 7))
        #expect(job.exceptions.count == 2)
        try job.apply(EventlogEntry(timestamp: 52, name: "clean"))
        #expect(job.result == .canceled)
    }

    @Test func firstEventMustBeSubmit() {
        var job = JobRecord(id: JobID(1), summary: JobSummary())
        #expect(throws: ServiceError(EINVAL, "job ƒ2: the first event must be submit, not validate")) {
            try job.apply(EventlogEntry(timestamp: 1, name: "validate"))
        }
    }

    @Test func malformedContextsAreRefused() throws {
        var job = try record(in: .priority)
        #expect(throws: ServiceError.self) { try job.apply(EventlogEntry(timestamp: 1, name: "priority")) }
        #expect(throws: ServiceError.self) {
            try job.apply(EventlogEntry(timestamp: 1, name: "urgency", context: ["urgency": 32, "userid": 1]))
        }
        #expect(throws: ServiceError.self) {
            try job.apply(EventlogEntry(timestamp: 1, name: "exception", context: ["type": "x", "severity": 8]))
        }
        var dep = try record(in: .depend)
        #expect(throws: ServiceError.self) {
            try dep.apply(EventlogEntry(timestamp: 1, name: "dependency-remove", context: ["description": "nope"]))
        }
        try dep.apply(EventlogEntry(timestamp: 1, name: "dependency-add", context: ["description": "a=1"]))
        #expect(throws: ServiceError.self) { try dep.apply(EventlogEntry(timestamp: 2, name: "depend")) }
        try dep.apply(EventlogEntry(timestamp: 3, name: "dependency-remove", context: ["description": "a=1"]))
        try dep.apply(EventlogEntry(timestamp: 4, name: "depend"))
        #expect(dep.state == .priority)
    }

    @Test func fieldsAndResults() throws {
        var job = try record(in: .run)
        #expect(job.userid == 100 && job.urgency == 16 && job.priority == 16)
        #expect(job.submitTime == 10)
        try job.apply(EventlogEntry(timestamp: 20, name: "memo", context: ["k": "v", "n": 1]))
        try job.apply(EventlogEntry(timestamp: 21, name: "memo", context: ["n": nil]))
        #expect(job.memo == ["k": "v"])
        try job.apply(EventlogEntry(timestamp: 22, name: "debug.anything"))
        try job.apply(EventlogEntry(timestamp: 23, name: "finish", context: ["status": 256]))
        try job.apply(EventlogEntry(timestamp: 24, name: "clean"))
        #expect(job.result == .failed && job.returncode == 1 && job.inactiveReason == "Exit 1")
        #expect(job.runtime(now: 99) == 23 - 14)
        var ok = try record(in: .inactive)
        #expect(ok.result == .completed && ok.success == true && ok.status.abbreviation == "CD")
        #expect(throws: ServiceError.self) { try ok.apply(EventlogEntry(timestamp: 99, name: "memo")) }
        var killed = try record(in: .run)
        try killed.apply(EventlogEntry(timestamp: 30, name: "finish", context: ["status": 9]))
        try killed.apply(EventlogEntry(timestamp: 31, name: "clean"))
        #expect(killed.returncode == -9 && killed.inactiveReason == "Killed")
    }

    @Test func timeoutResult() throws {
        for type in ["timeout", "timelimit"] {
            var job = try record(in: .run)
            try job.apply(EventlogEntry(timestamp: 30, name: "exception", context: ["type": .string(type), "severity": 0]))
            try job.apply(EventlogEntry(timestamp: 31, name: "finish", context: ["status": 14]))
            try job.apply(EventlogEntry(timestamp: 32, name: "clean"))
            #expect(job.result == .timeout && job.inactiveReason == "Timeout")
        }
    }

    @Test func replayFromEventlogText() throws {
        let live = try record(in: .inactive)
        let text = Eventlog.format(entries(upTo: .inactive))
        let replayed = try JobRecord(replaying: try Eventlog.parse(text), id: JobID(42), summary: JobSummary(name: "a"))
        #expect(replayed == live)
    }
}
