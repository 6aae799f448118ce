// `fluxs queue list|status|enable|disable|start|stop|drain|idle`: the named queues of
// the job manager (broker attribute `queues`), or the anonymous queue of an instance
// without any (its name is empty; status lines then carry no "NAME: " prefix, as Flux's).
import ArgumentParser
import FluxsFormats
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// Queue tools.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "List and control the queues (the anonymous one without named queues).",
        subcommands: [QueueListCommand.self, QueueStatusCommand.self, QueueEnableCommand.self, QueueDisableCommand.self,
                      QueueStartCommand.self, QueueStopCommand.self, QueueDrainCommand.self, QueueIdleCommand.self])

    static func list() throws -> [JSONValue] {
        try Instance.with { try $0.rpc("job-manager.queue-list") }.arrayValue ?? []
    }
}

/// Names a queue, or every queue.
struct QueueTarget: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Every queue (the default when no QUEUE is named).")
    var all = false
    @Argument(help: "The queue.")
    var queue: String?

    var body: [String: JSONValue] {
        var body: [String: JSONValue] = ["all": .bool(all || queue == nil)]
        if let queue { body["name"] = .string(queue) }
        return body
    }
}

/// Lists the queues.
struct QueueListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the queues and their jobs.")
    @Flag(name: .shortAndLong, help: "Leave out the header.")
    var noHeader = false

    func run() throws {
        let rows = try QueueCommand.list().map { q in
            // The anonymous queue (no queues configured) has no name, and no default mark.
            [(q["name"]?.stringValue ?? "") + (q["default"]?.boolValue == true && q["name"]?.stringValue != "" ? "*" : ""),
             q["enabled"]?.boolValue == true ? "✔" : "✗", q["started"]?.boolValue == true ? "✔" : "✗",
             String(q["pending"]?.intValue ?? 0), String(q["running"]?.intValue ?? 0), q["property"]?.stringValue ?? "-"]
        }
        let header = ["QUEUE", "EN", "ST", "PENDING", "RUNNING", "PROPERTY"]
        if noHeader { rows.forEach { print($0.joined(separator: "  ")) } } else { printTable(header: header, rows: rows) }
    }
}

/// Says whether each queue takes submissions and schedules jobs.
struct QueueStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show whether queues are enabled and started.")
    @Argument(help: "The queue (default: all).")
    var queue: String?

    func run() throws {
        let queues = try QueueCommand.list().filter { queue == nil || $0["name"]?.stringValue == queue }
        if let queue, queues.isEmpty { throw CommandFailure("unknown queue \"\(queue)\"") }
        for q in queues {
            let name = q["name"]?.stringValue ?? ""
            let prefix = name.isEmpty ? "" : "\(name): "
            let disabled = q["disabled_reason"]?.stringValue.map { ": \($0)" } ?? ""
            let stopped = q["stopped_reason"]?.stringValue.map { ": \($0)" } ?? ""
            print("\(prefix)Job submission is \(q["enabled"]?.boolValue == true ? "enabled" : "disabled\(disabled)")")
            print("\(prefix)Scheduling is \(q["started"]?.boolValue == true ? "started" : "stopped\(stopped)")")
        }
    }
}

/// Enables or disables submission, starts or stops scheduling.
struct QueueSwitch {
    static func run(_ topic: String, _ key: String, _ on: Bool, _ target: QueueTarget, reason: [String]) throws {
        var body = target.body
        body[key] = .bool(on)
        if !reason.isEmpty { body["reason"] = .string(reason.joined(separator: " ")) }
        try Instance.with { try $0.rpc(topic, .object(body)) }
    }
}

/// Lets a queue take submissions.
struct QueueEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Let a queue take submissions.")
    @OptionGroup var target: QueueTarget
    func run() throws { try QueueSwitch.run("job-manager.queue-enable", "enable", true, target, reason: []) }
}

/// Refuses submissions to a queue.
struct QueueDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Refuse submissions to a queue (with a reason).")
    @Option(name: .shortAndLong, help: "Why (shown to those who submit).")
    var message: String?
    @OptionGroup var target: QueueTarget
    func run() throws {
        try QueueSwitch.run("job-manager.queue-enable", "enable", false, target, reason: message.map { [$0] } ?? [])
    }
}

/// Schedules a queue's jobs again.
struct QueueStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Schedule a queue's jobs.")
    @OptionGroup var target: QueueTarget
    func run() throws { try QueueSwitch.run("job-manager.queue-start", "start", true, target, reason: []) }
}

/// Stops scheduling a queue's jobs (they stay pending).
struct QueueStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop scheduling a queue's jobs (they stay pending).")
    @Option(name: .shortAndLong, help: "Why.")
    var message: String?
    @OptionGroup var target: QueueTarget
    func run() throws {
        try QueueSwitch.run("job-manager.queue-start", "start", false, target, reason: message.map { [$0] } ?? [])
    }
}

/// Waits until queues have no active jobs.
struct QueueDrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drain", abstract: "Wait until queues have no pending or running jobs.")
    @Option(name: .shortAndLong, help: "Give up after this long (a duration).")
    var timeout: String?
    @OptionGroup var target: QueueTarget
    func run() throws { try QueueWait.run("drained", target, timeout) }
}

/// Waits until queues have no running jobs.
struct QueueIdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "idle", abstract: "Wait until queues have no running jobs.")
    @Option(name: .shortAndLong, help: "Give up after this long (a duration).")
    var timeout: String?
    @OptionGroup var target: QueueTarget
    func run() throws { try QueueWait.run("idle", target, timeout) }
}

/// The wait behind drain and idle.
enum QueueWait {
    static func run(_ until: String, _ target: QueueTarget, _ timeout: String?) throws {
        var seconds: Double?
        if let timeout {
            do { seconds = try FluxDuration.parse(timeout) } catch { throw ValidationError("--timeout: \(error.message)") }
        }
        var body = target.body
        body["until"] = .string(until)
        let limit = seconds
        try Instance.with { handle in
            do {
                try handle.rpc("job-manager.queue-wait", .object(body), timeout: limit)
            } catch let error as ServiceError where error.errnum == ETIMEDOUT {
                throw CommandFailure("timed out waiting for the queues to be \(until)")
            }
        }
    }
}
