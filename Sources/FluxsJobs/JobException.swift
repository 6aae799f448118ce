// An RFC 21 exception: a type ("cancel", "timeout", "dependency", "alloc", "exec", ...),
// a severity from 0 (fatal: the job goes to CLEANUP) to 7, a note for people, and the
// user who raised it when that was not the instance owner.

import FluxsFormats

/// An exception raised on a job.
public struct JobException: Sendable, Hashable {
    /// The exception type, e.g. "cancel".
    public var type: String
    /// 0 (most severe, fatal) to 7.
    public var severity: Int
    /// A brief explanation; empty when none was given.
    public var note: String
    /// The user who raised it, when recorded.
    public var userid: UInt32?

    /// An exception as given.
    public init(type: String, severity: Int, note: String = "", userid: UInt32? = nil) {
        self.type = type
        self.severity = severity
        self.note = note
        self.userid = userid
    }

    /// True for severity 0.
    public var isFatal: Bool { severity == 0 }

    /// The exception event's context object.
    public var context: [String: JSONValue] {
        var context: [String: JSONValue] = ["type": .string(type), "severity": .int(Int64(severity)),
                                            "note": .string(note)]
        if let userid { context["userid"] = .int(Int64(userid)) }
        return context
    }
}
