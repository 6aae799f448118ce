// `fluxs queue list|status|enable|disable|start|stop|drain|idle`: the named queues of
// the job manager (broker attribute `queues`), or the anonymous queue of an instance
// without any (its name is empty; status lines then carry no "NAME: " prefix, as Flux's).
import ArgumentParser
import FluxsFormats
import FluxsMessage
import FluxsProtocol
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
        try Instance.with { try $0.rpc(.jobManager.queueList) }.arrayValue ?? []
    }
}

/// Names a queue, or every queue.
struct QueueTarget: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Every queue (the default when no QUEUE is named; start and stop need it where named queues exist).")
    var all = false
    @Option(name: [.customShort("q", allowingJoined: true), .customLong("queue")], help: .hidden)
    var oldQueue: String?
    @Argument(help: ArgumentHelp("The queue.", valueName: "QUEUE"))
    var name: String?

    /// The queue named, as an argument or with Flux's old -q/--queue.
    var queue: String? { name ?? oldQueue }

    func validate() throws {
        if let name, let oldQueue, name != oldQueue {
            throw ValidationError("Conflicting queues specified as --queue=\(oldQueue) and \(name)")
        }
    }

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

/// The lines `status` prints about a queue: whether it takes submissions, whether it is scheduled.
enum QueueStatusLines {
    static func submission(_ q: JSONValue) -> String {
        let disabled = q["disabled_reason"]?.stringValue.map { ": \($0)" } ?? ""
        return prefix(q) + "Job submission is \(q["enabled"]?.boolValue == true ? "enabled" : "disabled\(disabled)")"
    }

    static func scheduling(_ q: JSONValue) -> String {
        let stopped = q["stopped_reason"]?.stringValue.map { ": \($0)" } ?? ""
        return prefix(q) + "Scheduling is \(q["started"]?.boolValue == true ? "started" : "stopped\(stopped)")"
    }

    /// "NAME: ", or nothing for the anonymous queue.
    static func prefix(_ q: JSONValue) -> String {
        let name = q["name"]?.stringValue ?? ""
        return name.isEmpty ? "" : "\(name): "
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
            print(QueueStatusLines.submission(q))
            print(QueueStatusLines.scheduling(q))
        }
    }
}

/// Enables or disables submission, starts or stops scheduling, then prints the new
/// status of the queues concerned unless --quiet, as flux queue does.
struct QueueSwitch {
    static func run(_ method: ServiceMethod, _ key: String, _ on: Bool, _ target: QueueTarget, reason: String?,
                    quiet: Bool) throws {
        if method == .jobManager.queueStart, target.queue == nil, !target.all,
            try QueueCommand.list().contains(where: { !($0["name"]?.stringValue ?? "").isEmpty })
        {
            throw CommandFailure("Named queues are defined. Specify queues or use --all.")
        }
        var body = target.body
        body[key] = .bool(on)
        if let reason { body["reason"] = .string(reason) }
        try Instance.with { try $0.rpc(method, .object(body)) }
        guard !quiet else { return }
        let shown = try QueueCommand.list().filter { target.queue == nil || $0["name"]?.stringValue == target.queue }
        for q in shown {
            print(key == "enable" ? QueueStatusLines.submission(q) : QueueStatusLines.scheduling(q))
        }
    }
}

/// Lets a queue take submissions.
struct QueueEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Let a queue take submissions.")
    @Flag(help: "Print only errors, not the new status.")
    var quiet = false
    @OptionGroup var target: QueueTarget
    func run() throws { try QueueSwitch.run(.jobManager.queueEnable, "enable", true, target, reason: nil, quiet: quiet) }
}

/// Refuses submissions to a queue.
struct QueueDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Refuse submissions to a queue (with a reason).")
    @Option(name: .shortAndLong, help: "Why, shown to those who submit (default: \"disabled by administrator\").")
    var message: String?
    @Flag(help: "Print only errors, not the new status.")
    var quiet = false
    @OptionGroup var target: QueueTarget
    func run() throws {
        try QueueSwitch.run(.jobManager.queueEnable, "enable", false, target,
                            reason: message ?? "disabled by administrator", quiet: quiet)
    }
}

/// Schedules a queue's jobs again.
struct QueueStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Schedule a queue's jobs.")
    @Flag(help: "Print only errors, not the new status.")
    var quiet = false
    @OptionGroup var target: QueueTarget
    func run() throws { try QueueSwitch.run(.jobManager.queueStart, "start", true, target, reason: nil, quiet: quiet) }
}

/// Stops scheduling a queue's jobs (they stay pending).
struct QueueStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop scheduling a queue's jobs (they stay pending).")
    @Option(name: .shortAndLong, help: "Why.")
    var message: String?
    @Flag(help: "Print only errors, not the new status.")
    var quiet = false
    @OptionGroup var target: QueueTarget
    func run() throws {
        try QueueSwitch.run(.jobManager.queueStart, "start", false, target, reason: message, quiet: quiet)
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
                try handle.rpc(.jobManager.queueWait, .object(body), timeout: limit)
            } catch let error as ServiceError where error.errnum == ETIMEDOUT {
                throw CommandFailure("timed out waiting for the queues to be \(until)")
            }
        }
    }
}
