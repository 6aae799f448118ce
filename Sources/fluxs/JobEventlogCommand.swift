// `fluxs job eventlog` and `fluxs job wait-event`: a job's eventlog, the KVS value
// job.<dothex>.eventlog, read with kvs.get or followed with kvs.watch. The job
// manager is asked about the job first, so an unknown id gets its ENOENT message
// instead of a watch that would wait forever. The last event of every job is "clean".
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// How job events print.
struct JobEventPrinter {
    /// Human times: the first event's date, then offsets from it.
    var human = false
    /// Raw RFC 18 lines instead of text.
    var json = false
    private var first: Double?

    init(human: Bool, json: Bool) {
        self.human = human
        self.json = json
    }

    /// "TIMESTAMP NAME KEY=VALUE ..." (values as JSON), or the event's JSON line.
    mutating func line(_ entry: EventlogEntry) -> String {
        if json { return String(entry.line.dropLast()) }
        var text: String
        if human {
            if let first {
                let offset = "+" + TimeText.fixed(entry.timestamp - first)
                text = "[" + String(repeating: " ", count: max(0, 11 - offset.count)) + offset + "]"
            } else {
                first = entry.timestamp
                text = "[" + TimeText.format(entry.timestamp, "%b%d %H:%M") + "]"
            }
        } else {
            text = TimeText.fixed(entry.timestamp)
        }
        text += " " + entry.name
        for key in (entry.context ?? [:]).keys.sorted() {
            text += " \(key)=\(entry.context![key]!.compactText)"
        }
        return text
    }
}

/// Shared option: the output form of events.
struct JobEventFormatOptions: ParsableArguments {
    @Flag(name: [.customShort("H"), .long], help: "Human times: the first event's date, then seconds since it.")
    var human = false
    @Option(name: [.customShort("f", allowingJoined: true), .long], help: ArgumentHelp("Print events as text (default) or json (the log's own lines).", valueName: "FORMAT"))
    var format: String = "text"

    func validate() throws {
        if format != "text" && format != "json" { throw ValidationError("--format must be text or json") }
    }

    func printer() -> JobEventPrinter { JobEventPrinter(human: human, json: format == "json") }
}

extension Jobs {
    /// The events of a job's eventlog value.
    static func events(_ value: JSONValue?, _ id: JobID) throws(CommandFailure) -> [EventlogEntry] {
        try KVS.events(value, key: JobKeys(id).eventlog)
    }
}

/// Prints a job's eventlog.
struct JobEventlogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog", abstract: "Print a job's events, one a line: TIMESTAMP NAME CONTEXT.",
        discussion: """
            CONTEXT is the event's context as KEY=VALUE words, values in JSON. With --follow, \
            keeps printing events as they happen until the job's last event, clean.
            """)
    @Flag(name: [.customShort("F"), .long], help: "Follow the log until the clean event.")
    var follow = false
    @OptionGroup var output: JobEventFormatOptions
    @Argument(help: "The job (any id form).")
    var id: String

    func run() throws {
        let job = try Jobs.parse(id)
        let key = JobKeys(job).eventlog
        var printer = output.printer()
        var printed = 0
        /// Prints the events not printed yet; false once clean is out.
        func show(_ entries: [EventlogEntry]) -> Bool {
            for entry in entries.dropFirst(printed) {
                print(printer.line(entry))
                printed += 1
                if entry.name == "clean" { fflush(nil); return false }
            }
            fflush(nil)
            return true
        }
        try Jobs.on(job) { handle in
            try Jobs.info(handle, job)
            try KVS.readEventlog(handle, payload: ["key": .string(key)], key: key, follow: follow,
                                 events: { (value) throws(CommandFailure) in try Jobs.events(value, job) }, show: show)
        }
    }
}

/// Waits for a job event.
struct JobWaitEventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait-event", abstract: "Wait until a job's eventlog holds EVENT, and print it.",
        discussion: """
            Exits 0 when the event is there, 1 after the timeout or when the job's log ends \
            (clean) without it.
            """)
    @Option(name: [.customShort("t", allowingJoined: true), .long],
            help: ArgumentHelp("Give up after DURATION (a Flux Standard Duration: 10, 2.5s, 100ms, 1m).", valueName: "DURATION"))
    var timeout: String?
    @Option(name: [.customShort("m", allowingJoined: true), .customLong("match-context")],
            help: ArgumentHelp("Only an event whose context has KEY equal to VALUE (JSON if it parses, else a string).", valueName: "KEY=VALUE"))
    var match: String?
    @Flag(name: [.customShort("q"), .long], help: "Print nothing; only the exit status tells.")
    var quiet = false
    @Flag(name: [.customShort("v"), .long], help: "Print every event up to the one awaited.")
    var verbose = false
    @OptionGroup var output: JobEventFormatOptions
    @Argument(help: "The job (any id form).")
    var id: String
    @Argument(help: "The event's name.")
    var event: String

    func validate() throws {
        if event.isEmpty { throw ValidationError("the event name is empty") }
        _ = try seconds()
        if let match, !match.contains("=") { throw ValidationError("--match-context \"\(match)\": not KEY=VALUE") }
    }

    /// The timeout in seconds (infinity when not given).
    func seconds() throws -> Double {
        guard let timeout else { return .infinity }
        do { return try FluxDuration.parse(timeout) } catch { throw ValidationError("--timeout: \(error.message)") }
    }

    /// True when `entry` is the event awaited.
    func matches(_ entry: EventlogEntry) -> Bool {
        guard entry.name == event else { return false }
        guard let match, let eq = match.firstIndex(of: "=") else { return true }
        let key = String(match[..<eq])
        let raw = String(match[match.index(after: eq)...])
        guard let value = entry.context?[key] else { return false }
        if let wanted = try? JSONValue(parsing: raw), wanted == value { return true }
        return value.stringValue == raw || value.compactText == raw
    }

    func run() throws {
        let job = try Jobs.parse(id)
        let key = JobKeys(job).eventlog
        let limit = try seconds()
        let deadline = KVS.monotonic() + limit
        let shown = Jobs.show(job)
        let timedOut = CommandFailure(
            "timed out after \(FluxDuration.format(limit)) waiting for event \"\(event)\" of job \(shown)")
        var printer = output.printer()
        var seen = 0
        let found: EventlogEntry = try Jobs.on(job) { handle in
            try Jobs.info(handle, job)
            return try KVS.waitInEventlog(
                handle, payload: ["key": .string(key)], key: key, deadline: deadline, timedOut: timedOut, awaited: event,
                events: { (value) throws(CommandFailure) in try Jobs.events(value, job) }
            ) { entries in
                defer { fflush(nil) }
                for entry in entries.dropFirst(seen) {
                    seen += 1
                    if matches(entry) { return entry }
                    if verbose && !quiet { print(printer.line(entry)) }
                    if entry.name == "clean" {
                        throw CommandFailure("job \(shown) ended (clean) without event \"\(event)\"")
                    }
                }
                return nil
            }
        }
        if !quiet { print(printer.line(found)) }
    }
}
