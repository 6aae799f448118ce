// `fluxs ping [TARGET]`: round trips to a service's ping method, one line each and a
// summary, like flux-ping(1). TARGET is SERVICE, RANK, or RANK!SERVICE (RANK may be
// "any" or "upstream"); the default is the local broker.
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

private let interrupted = Atomic<Bool>(false)

/// Measures round trips to a service.
struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Measure round trips to a broker or service.")

    @Option(name: [.customShort("c", allowingJoined: true), .long], help: "Stop after N round trips (default: until Ctrl-C).")
    var count: Int?
    @Option(name: [.customShort("i", allowingJoined: true), .long], help: "Wait this long between round trips (a duration; default 1s).")
    var interval: String = "1s"
    @Option(name: [.customShort("p", allowingJoined: true), .long], help: "Add N bytes of padding to each request.")
    var pad: Int = 0
    @Flag(name: .shortAndLong, help: "Print only the summary.")
    var quiet = false
    @Argument(help: "SERVICE, RANK or RANK!SERVICE (default: the local broker).")
    var target: String = "broker"

    func validate() throws {
        try validateCountLimit(count)
        if pad < 0 { throw ValidationError("--pad must not be negative") }
    }

    func run() throws {
        let (nodeid, topic) = try Self.parseTarget(target)
        let wait: Double
        do { wait = try FluxDuration.parse(interval) } catch { throw CommandFailure("--interval: \(error.message)") }
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        let padding = String(repeating: "p", count: pad)
        var times: [Double] = []
        try Instance.with { handle in
            var seq = 0
            while !interrupted.load(ordering: .relaxed) {
                let start = FluxsClock.now()
                let reply = try handle.rpc(.ping(topic.prefix { $0 != "." }), ["seq": .int(Int64(seq)), "pad": .string(padding)], nodeid: nodeid)
                let ms = (FluxsClock.now() - start) * 1000
                times.append(ms)
                if !quiet {
                    let route = reply["route"]?.stringValue.map { " (\($0))" } ?? ""
                    print("\(Self.prefix(nodeid))\(topic) pad=\(pad) seq=\(seq) time=\(Self.format(ms)) ms\(route)")
                }
                seq += 1
                if let count, seq >= count { break }
                if wait > 0 { FluxsClock.sleep(wait) }
            }
        }
        guard !times.isEmpty else { return }
        let sorted = times.sorted()
        let avg = times.reduce(0, +) / Double(times.count)
        print("\(times.count) round trips: min/avg/median/max = \(Self.format(sorted[0]))/\(Self.format(avg))/\(Self.format(sorted[sorted.count / 2]))/\(Self.format(sorted[sorted.count - 1])) ms")
    }

    static func parseTarget(_ text: String) throws(CommandFailure) -> (NodeID, String) {
        var rankPart: Substring?
        var service = Substring(text)
        if let bang = text.firstIndex(of: "!") {
            rankPart = text[..<bang]
            service = text[text.index(after: bang)...]
        } else if text.first?.isNumber == true || text == "any" || text == "upstream" {
            rankPart = Substring(text)
            service = "broker"
        }
        guard !service.isEmpty, !service.contains(".") else {
            throw CommandFailure("bad target \"\(text)\": expected SERVICE, RANK or RANK!SERVICE")
        }
        var nodeid = NodeID.any
        if let rankPart {
            switch rankPart {
            case "any": nodeid = .any
            case "upstream": nodeid = .upstream
            default:
                guard let rank = UInt32(rankPart) else { throw CommandFailure("bad target \"\(text)\": \"\(rankPart)\" is not a rank") }
                nodeid = .rank(rank)
            }
        }
        return (nodeid, "\(service).ping")
    }

    static func prefix(_ nodeid: NodeID) -> String { nodeid == .any ? "" : "\(nodeid)!" }

    static func format(_ ms: Double) -> String {
        let us = Int((ms * 1000).rounded())
        let frac = String(us % 1000)
        return "\(us / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}

/// Monotonic time and sleeping for the CLI.
enum FluxsClock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func sleep(_ seconds: Double) {
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&ts, &remaining) != 0 && errno == EINTR && !interrupted.load(ordering: .relaxed) { ts = remaining }
    }

    /// Wall-clock seconds since the epoch.
    static func wall() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
