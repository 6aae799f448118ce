// The broker's log ring (dmesg): the last N entries logged by the broker, its modules
// and clients (`fluxs logger`), with followers that get each new entry as it arrives.
// Entries are FluxsFormats.LogEntry (shared with the CLI).
import FluxsFormats

/// A bounded ring of log entries.
public struct LogRing: Sendable {
    /// The most entries kept.
    public private(set) var capacity: Int
    private var entries: [LogEntry] = []
    private var head = 0

    /// Makes an empty ring.
    public init(capacity: Int) { self.capacity = max(capacity, 1) }

    /// Adds an entry, dropping the oldest when full.
    public mutating func append(_ entry: LogEntry) {
        if entries.count < capacity {
            entries.append(entry)
        } else {
            entries[head] = entry
            head = (head + 1) % capacity
        }
    }

    /// The entries, oldest first.
    public var all: [LogEntry] { Array(entries[head...] + entries[..<head]) }

    /// Drops every entry.
    public mutating func clear() {
        entries.removeAll()
        head = 0
    }

    /// Changes the capacity, keeping the newest entries.
    public mutating func resize(_ newCapacity: Int) {
        let kept = all.suffix(max(newCapacity, 1))
        capacity = max(newCapacity, 1)
        entries = Array(kept)
        head = 0
    }
}
