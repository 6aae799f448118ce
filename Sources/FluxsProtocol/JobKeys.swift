// Where a job lives in the KVS (the layout of man/man7/fluxs-job-manager.7, as Flux's
// job.<dothex> directories): every service and command that reads or writes a job's
// keys names them through this type.
import FluxsFormats

/// The KVS keys of one job.
public struct JobKeys: Sendable, Hashable {
    /// The job.
    public let id: JobID
    /// Its directory, `job.<dothex>`.
    public let directory: String

    public init(_ id: JobID) {
        self.id = id
        directory = id.formatted(.kvs)
    }

    /// The jobspec as submitted (updated by job-manager.update).
    public var jobspec: String { directory + ".jobspec" }
    /// A guest's signed request, J (RFC 39), as submitted.
    public var signed: String { directory + ".J" }
    /// The resources allocated to it (RFC 20).
    public var R: String { directory + ".R" }
    /// Its main eventlog (RFC 18, RFC 21).
    public var eventlog: String { directory + ".eventlog" }
    /// Its tasks' output eventlog (RFC 24), written by its shells.
    public var output: String { directory + ".guest.output" }
    /// Its tasks' input eventlog (RFC 24), written by fluxs run and fluxs job attach.
    public var input: String { directory + ".guest.input" }

    /// A key under the directory (`job.<dothex>.<name>`).
    public func key(_ name: String) -> String { directory + "." + name }

    /// The job whose keys `key` names, and the part after its directory (empty for the
    /// directory itself); nil for a key outside every job's directory.
    public static func parse(_ key: String) -> (keys: JobKeys, rest: [Substring])? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "job",
              let id = try? JobID(parsing: parts[0...4].joined(separator: "."))
        else { return nil }
        return (JobKeys(id), Array(parts[5...]))
    }

    /// The job whose directory holds `key` (or is `key`), read straight from its bytes
    /// (`job.` and four groups of four hex digits): what `parse` finds, without the
    /// allocations, for the KVS's per-key checks.
    public static func job(of key: String) -> JobID? {
        var utf8 = key.utf8.makeIterator()
        for expected in "job".utf8 where utf8.next() != expected { return nil }
        var id: UInt64 = 0
        for _ in 0..<4 {
            guard utf8.next() == UInt8(ascii: ".") else { return nil }
            for _ in 0..<4 {
                guard let byte = utf8.next() else { return nil }
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                default: return nil
                }
                id = id << 4 | UInt64(digit)
            }
        }
        switch utf8.next() {
        case nil, UInt8(ascii: ".")?: return JobID(id)
        default: return nil
        }
    }

    /// Whether a guest may write `rest` of its own job: its tasks' stdin and output
    /// (guest.*) and its shells' PMI exchange (pmi.*).
    public static func guestWritable(_ rest: [Substring]) -> Bool {
        rest.first == "guest" || rest.first == "pmi"
    }

    /// Whether `rest` (what `parse` leaves) names the job's directory itself.
    public static func isDirectory(_ rest: [Substring]) -> Bool { rest.isEmpty }
}
