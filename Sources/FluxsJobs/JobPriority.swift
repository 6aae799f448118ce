// Urgency and priority. Urgency is the user's knob, 0...31 (default 16); 0 is "hold"
// and 31 "expedite", and only the instance owner may go above 16. Priority is what the
// scheduler orders by, 0...4294967295, assigned by the job manager in PRIORITY state and
// again whenever the urgency of a pending job changes. The formula is flux-core's
// built-in one:
//
//   urgency 0 (hold)       -> priority 0            (the job is never given resources)
//   urgency 1...30         -> priority = urgency
//   urgency 31 (expedite)  -> priority 4294967295   (ahead of everything)
//
// The queue order is priority, highest first, then job id, lowest first: FLUIDs grow
// with submit time, so among equal priorities the earlier submission goes first.

import FluxsFormats

/// Urgency values and parsing.
public enum JobUrgency {
    /// The lowest urgency: the job is held.
    public static let hold = 0
    /// The default urgency.
    public static let `default` = 16
    /// The highest urgency: the job is expedited.
    public static let expedite = 31
    /// Every valid urgency.
    public static let range = 0...31

    /// "hold", "default", "expedite" (any case) or a number 0...31.
    public static func parse(_ text: String) -> Int? {
        switch text.lowercased() {
        case "hold": return hold
        case "default": return `default`
        case "expedite": return expedite
        default:
            guard let value = Int(text), range.contains(value) else { return nil }
            return value
        }
    }
}

/// The priority formula and queue order.
public enum JobPriority {
    /// The lowest priority (a held job).
    public static let min: UInt32 = 0
    /// The highest priority (an expedited job).
    public static let max: UInt32 = .max

    /// The priority of a job with `urgency` (see the table above).
    public static func of(urgency: Int) -> UInt32 {
        switch urgency {
        case ...JobUrgency.hold: min
        case JobUrgency.expedite...: max
        default: UInt32(urgency)
        }
    }

    /// True when a job (priority `a`, id `aID`) goes before one with `b`, `bID`.
    public static func precedes(_ a: UInt32, _ aID: JobID, _ b: UInt32, _ bID: JobID) -> Bool {
        a != b ? a > b : aID < bID
    }
}
