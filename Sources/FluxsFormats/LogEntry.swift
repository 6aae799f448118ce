// One entry of a broker's log ring, as `log.dmesg` returns it and `fluxs dmesg`
// prints it. Severity levels are syslog's (0 emerg .. 7 debug).

/// One log entry.
public struct LogEntry: Sendable, Hashable {
    /// Seconds since the epoch.
    public var timestamp: Double
    /// Syslog severity, 0 (emerg) to 7 (debug).
    public var level: Int
    /// The rank that logged it.
    public var rank: UInt32
    /// Who logged it: "broker", a module name, or a client's appname.
    public var appname: String
    /// The message.
    public var message: String

    /// Names of the syslog severities, by level.
    public static let levelNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// The entry as JSON, as `log.dmesg` returns it.
    public var json: JSONValue {
        [
            "timestamp": .double(timestamp), "level": .int(Int64(level)), "rank": .int(Int64(rank)),
            "appname": .string(appname), "message": .string(message),
        ]
    }

    /// Reads an entry back from JSON.
    public init?(json: JSONValue) {
        guard let ts = json["timestamp"]?.doubleValue, let level = json["level"]?.intValue,
            let rank = json["rank"]?.intValue, let app = json["appname"]?.stringValue,
            let message = json["message"]?.stringValue
        else { return nil }
        self.init(timestamp: ts, level: Int(level), rank: UInt32(truncatingIfNeeded: rank), appname: app, message: message)
    }

    /// Makes an entry.
    public init(timestamp: Double, level: Int, rank: UInt32, appname: String, message: String) {
        self.timestamp = timestamp
        self.level = level
        self.rank = rank
        self.appname = appname
        self.message = message
    }
}
