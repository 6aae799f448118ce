// `fluxs event pub|sub`: publish events and watch them.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// Event tools.
struct EventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event", abstract: "Publish and subscribe to events.",
        subcommands: [EventPubCommand.self, EventSubCommand.self])
}

/// Publishes one event.
struct EventPubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pub", abstract: "Publish an event.")
    @Flag(name: .shortAndLong, help: "Print the event's sequence number.")
    var verbose = false
    @Argument(help: "The event topic.")
    var topic: String
    @Argument(help: "A JSON payload (default: none).")
    var payload: String?

    func run() throws {
        var body: JSONValue?
        if let payload {
            do { body = try JSONValue(parsing: payload) } catch { throw CommandFailure("payload: \(error.message)") }
        }
        let seq = try Instance.with { try $0.publish(topic, body) }
        if verbose { print(seq) }
    }
}

/// Prints events as they arrive.
struct EventSubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sub", abstract: "Print events whose topics start with the given prefixes.")
    @Option(name: [.customShort("c", allowingJoined: true), .long], help: "Exit after N events.")
    var count: Int?
    @Flag(name: .shortAndLong, help: "Print the sequence number first.")
    var sequence = false
    @Argument(help: "Topic prefixes (default: every event).")
    var topics: [String] = []

    func validate() throws { try validateCountLimit(count) }

    func run() throws {
        try Instance.with { handle in
            for topic in topics.isEmpty ? [""] : topics { try handle.subscribe(topic) }
            var seen = 0
            while count.map({ seen < $0 }) ?? true {
                let event = try handle.nextEvent()
                let payload = String(decoding: event.payload, as: UTF8.self)
                print((sequence ? "\(event.sequence) " : "") + event.topic + (payload.isEmpty ? "" : " \(payload)"))
                fflush(nil)
                seen += 1
            }
        }
    }
}
