// `fluxs kvs eventlog get|append|wait-event`: RFC 18 eventlogs kept as string values of
// the KVS, one compact JSON object and "\n" per event. Appending is the service's
// append operation, so concurrent writers never lose each other's events.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Eventlog tools.
struct KVSEventlogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventlog", abstract: "Read, append to and wait on eventlogs (RFC 18).",
        subcommands: [KVSEventlogGetCommand.self, KVSEventlogAppendCommand.self, KVSEventlogWaitEventCommand.self])
}

extension KVS {
    /// The events in the value of `key` (a missing value is an empty log).
    static func events(_ value: JSONValue?, key: String) throws(CommandFailure) -> [EventlogEntry] {
        guard let value else { return [] }
        guard case .string(let text) = value else {
            let kind = value.kindName
            let article = value.isNull ? "" : "aeiou".contains(kind.first!) ? "an " : "a "
            throw CommandFailure("\(key) is not an eventlog: its value is \(article)\(kind), not a string")
        }
        do { return try Eventlog.parse(text) } catch { throw CommandFailure("\(key): \(error.message)") }
    }

    /// One event as `eventlog get` prints it: "TIMESTAMP NAME[ CONTEXT]".
    static func eventLine(_ entry: EventlogEntry) -> String {
        var line = "\(entry.timestamp) \(entry.name)"
        if let context = entry.context, !context.isEmpty { line += " " + JSONValue.object(context).compactText }
        return line
    }

    /// The value in a kvs.watch response: nil while the key is missing; a directory is an error.
    static func watchedValue(_ response: JSONValue, key: String) throws(CommandFailure) -> JSONValue? {
        if response["dir"] != nil { throw CommandFailure("\(key) is a directory") }
        return response["value"]
    }

    /// Watches an eventlog until `found` picks an entry from it (it gets the whole list at
    /// each change), or until `deadline` (CLOCK_MONOTONIC seconds) passes: `timedOut`.
    static func waitInEventlog(
        _ handle: FluxsHandle, payload: JSONValue, key: String, deadline: Double, timedOut: CommandFailure,
        awaited: String, events: (JSONValue) throws(CommandFailure) -> [EventlogEntry],
        found: ([EventlogEntry]) throws -> EventlogEntry?
    ) throws -> EventlogEntry {
        let tag = try handle.sendRequest(.kvs.watch, payload: payload.compactBytes, flags: .streaming)
        while true {
            let remaining = deadline - KVS.monotonic()
            if remaining <= 0 { throw timedOut }
            let next = Result { () throws(ServiceError) in
                try handle.response(matchtag: tag, timeout: remaining.isInfinite ? nil : remaining)
            }
            if case .failure(let error) = next, error.errnum == ETIMEDOUT { throw timedOut }
            let message = try next.get()
            if message.errnum == ENODATA { throw CommandFailure("the watch of \(key) ended before \(awaited) appeared") }
            if message.errnum != 0 { throw ServiceError(response: message) }
            guard let value = try KVS.watchedValue(FluxsHandle.decode(message), key: key) else { continue }
            if let entry = try found(try events(value)) { return entry }
        }
    }

    /// Reads an eventlog once, or (`follow`) watches it, handing `show` the whole list of
    /// entries each time it changes until `show` returns false. `events` parses a value.
    static func readEventlog(
        _ handle: FluxsHandle, payload: JSONValue, key: String, follow: Bool,
        events: (JSONValue?) throws(CommandFailure) -> [EventlogEntry], show: ([EventlogEntry]) -> Bool
    ) throws {
        guard follow else {
            _ = show(try events(try handle.rpc(.kvs.get, payload)["value"]))
            return
        }
        var failure: CommandFailure?
        try handle.stream(.kvs.watch, payload) { response in
            do throws(CommandFailure) {
                guard let value = try KVS.watchedValue(response, key: key) else { return true }
                return show(try events(value))
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }
}

/// Prints the events of a log.
struct KVSEventlogGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print the events of an eventlog, one a line: TIMESTAMP NAME CONTEXT.",
        discussion: """
            CONTEXT is compact JSON, left out when the event has none. With --watch, waits for \
            the log to exist, then prints each new event as it is appended.
            """)
    @OptionGroup var ns: KVSNamespaceOption
    @Flag(name: [.customShort("w"), .long], help: "Keep printing events as they are appended.")
    var watch = false
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: ArgumentHelp("Exit after COUNT events.", valueName: "COUNT"))
    var count: Int?
    @Argument(help: "The key of the eventlog.")
    var key: String

    func validate() throws {
        try KVS.validate([key])
        try validateCountLimit(count)
    }

    func run() throws {
        var printed = 0
        /// Prints the events past those already printed; false once COUNT are out.
        func show(_ entries: [EventlogEntry]) -> Bool {
            for entry in entries.dropFirst(printed) {
                if let count, printed >= count { return false }
                print(KVS.eventLine(entry))
                printed += 1
            }
            fflush(nil)
            return count.map { printed < $0 } ?? true
        }
        try Instance.with { handle in
            try KVS.readEventlog(handle, payload: ns.payload(["key": .string(key)]), key: key, follow: watch,
                                 events: { (value) throws(CommandFailure) in try KVS.events(value ?? .null, key: key) },
                                 show: show)
        }
    }
}

/// Appends one event.
struct KVSEventlogAppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append", abstract: "Append an event to an eventlog (made if missing).")
    @OptionGroup var ns: KVSNamespaceOption
    @Option(name: [.customShort("t", allowingJoined: true), .customLong("timestamp")],
            help: ArgumentHelp("The event's time in seconds since the epoch (default: now).", valueName: "SECONDS"))
    var timestamp: Double?
    @Argument(help: "The key of the eventlog.")
    var key: String
    @Argument(help: "The event's name.")
    var name: String
    @Argument(help: ArgumentHelp("The event's context, a JSON object.", valueName: "CONTEXT-JSON"))
    var context: String?

    func validate() throws {
        try KVS.validate([key], writing: "append to")
        if name.isEmpty { throw ValidationError("the event name is empty") }
        if name.contains(where: \.isWhitespace) { throw ValidationError("the event name \"\(name)\" holds whitespace") }
        if let timestamp, !(timestamp > 0) || timestamp.isInfinite {
            throw ValidationError("--timestamp must be a positive number of seconds")
        }
        _ = try parsedContext()
    }

    /// The context argument as an object (nil when not given).
    func parsedContext() throws -> [String: JSONValue]? {
        guard let context else { return nil }
        let value: JSONValue
        do { value = try JSONValue(parsing: context) } catch { throw ValidationError("context: \(error.message)") }
        guard case .object(let object) = value else {
            throw ValidationError("context must be a JSON object, not \(value.kindName)")
        }
        return object
    }

    func run() throws {
        let entry = EventlogEntry(timestamp: timestamp ?? KVS.wallClock(), name: name, context: try parsedContext())
        _ = try Instance.with { handle in
            try KVS.commit(handle, ns, [["op": "append", "key": .string(key), "value": .string(entry.line)]])
        }
    }
}

/// Waits for an event.
struct KVSEventlogWaitEventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait-event", abstract: "Wait until an eventlog holds an event NAME, and print it.",
        discussion: """
            A log that does not exist yet is waited for too. Exits 0 when the event is there, \
            1 after the timeout.
            """)
    @OptionGroup var ns: KVSNamespaceOption
    @Option(name: [.customShort("t", allowingJoined: true), .customLong("timeout")],
            help: ArgumentHelp("Give up after DURATION (a Flux Standard Duration: 10, 2.5s, 100ms, 1m).", valueName: "DURATION"))
    var timeout: String?
    @Flag(name: [.customShort("q"), .long], help: "Print nothing; only the exit status tells.")
    var quiet = false
    @Argument(help: "The key of the eventlog.")
    var key: String
    @Argument(help: "The event's name.")
    var name: String

    func validate() throws {
        try KVS.validate([key])
        if name.isEmpty { throw ValidationError("the event name is empty") }
        _ = try seconds()
    }

    /// The timeout in seconds (infinity when not given).
    func seconds() throws -> Double {
        guard let timeout else { return .infinity }
        do { return try FluxDuration.parse(timeout) } catch { throw ValidationError("--timeout: \(error.message)") }
    }

    func run() throws {
        let deadline = KVS.monotonic() + (try seconds())
        let timedOut = CommandFailure("timed out waiting for \(name) in \(key)")
        let found: EventlogEntry = try Instance.with { handle in
            try KVS.waitInEventlog(handle, payload: ns.payload(["key": .string(key)]), key: key, deadline: deadline,
                                   timedOut: timedOut, awaited: name,
                                   events: { (value) throws(CommandFailure) in try KVS.events(value, key: key) },
                                   found: { $0.first { $0.name == name } })
        }
        if !quiet { print(KVS.eventLine(found)) }
    }
}
