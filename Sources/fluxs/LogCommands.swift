// The broker's log ring: `fluxs dmesg` reads (and follows, and clears) it,
// `fluxs logger` adds to it.
import ArgumentParser
import FluxsClient
import FluxsFormats
#if canImport(Glibc)
import Glibc
import FluxsProtocol
#endif

/// Prints the broker's log ring.
struct DmesgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dmesg", abstract: "Print the broker's log ring.")
    @Flag(name: .shortAndLong, help: "Keep printing new entries as they arrive.")
    var follow = false
    @Flag(name: [.customShort("c"), .long], help: "Clear the ring after printing it.")
    var readClear = false
    @Flag(name: [.customShort("C"), .long], help: "Clear the ring without printing it.")
    var clear = false

    func run() throws {
        try Instance.with { handle in
            if !clear {
                try handle.stream(.log.dmesg, ["follow": .bool(follow)]) { entry in
                    if let e = LogEntry(json: entry) { print(Self.format(e)) }
                    fflush(nil)
                    return true
                }
            }
            if clear || readClear { try handle.rpc(.log.clear) }
        }
    }

    /// `2026-11-25T08:00:00.123456Z broker.info[0]: message`
    static func format(_ e: LogEntry) -> String {
        "\(iso8601(e.timestamp)) \(e.appname).\(LogEntry.levelNames[min(max(e.level, 0), 7)])[\(e.rank)]: \(e.message)"
    }

    static func iso8601(_ t: Double) -> String {
        var seconds = time_t(t.rounded(.down))
        var tm = tm()
        gmtime_r(&seconds, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let micros = String(Int((t - t.rounded(.down)) * 1e6))
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))."
            + String(repeating: "0", count: 6 - micros.count) + micros + "Z"
    }
}

/// Adds a message to the broker's log ring.
struct LoggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logger", abstract: "Log a message to the broker's log ring.")
    @Option(name: [.customShort("s", allowingJoined: true), .long],
            help: "Severity: emerg, alert, crit, err, warning, notice, info (default), debug.")
    var severity: String = "info"
    @Option(name: [.customShort("n", allowingJoined: true), .long], help: "The name to log under (default: logger).")
    var appname: String = "logger"
    @Argument(help: "The message.")
    var message: [String]

    func validate() throws {
        if message.isEmpty { throw ValidationError("missing the message") }
        if LogEntry.levelNames.firstIndex(of: severity) == nil {
            throw ValidationError("unknown severity \"\(severity)\" (\(LogEntry.levelNames.joined(separator: ", ")))")
        }
    }

    func run() throws {
        let level = LogEntry.levelNames.firstIndex(of: severity)!
        try Instance.with { handle in
            try handle.rpc(.log.append, [
                "message": .string(message.joined(separator: " ")), "level": .int(Int64(level)),
                "appname": .string(appname),
            ])
        }
    }
}
