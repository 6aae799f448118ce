// `fluxs update [-n] [-v] [--wait] ID KEY=VALUE...` (man fluxs-update, after
// flux-update(1)): one job-manager.update request holding every KEY=VALUE, applied all
// together or refused as a whole. Keys are jobspec paths; one that does not start with
// attributes., resources. or tasks. is taken under attributes.system. (`duration`,
// `queue`), `name` is attributes.system.job.name, and `urgency` is the job's urgency (as
// `fluxs job urgency` sets it). A duration is a Flux Standard Duration, or +FSD / -FSD
// to lengthen or shorten the job's present one (read from the job manager first; the
// request carries the result); inf or infinity is 0, no limit. The values of queue and
// name are strings; other values are JSON when they parse, else strings (the job
// manager refuses the keys it cannot update).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Updates an active job.
struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Update a pending job (duration, queue, name, urgency) or a running job's duration.",
        discussion: """
            KEY is duration (FSD, +FSD or -FSD), queue, name or urgency, or a full jobspec \
            path such as attributes.system.duration. All the updates are made, or none. \
            Only the instance owner may change the duration of a running job.
            """)

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Print the updates as JSON instead of sending them.")
    var dryRun = false
    @Flag(name: [.customShort("v"), .long], help: "Print each updated key and its value.")
    var verbose = false
    @Flag(name: .long, help: "Wait until the updates are in the job's eventlog.")
    var wait = false
    @Argument(help: "The job (any id form).")
    var id: String
    @Argument(help: ArgumentHelp("The updates.", valueName: "KEY=VALUE"))
    var updates: [String] = []

    func validate() throws {
        if updates.isEmpty { throw ValidationError("missing the updates (KEY=VALUE)") }
        for update in updates {
            guard let eq = update.firstIndex(of: "="), eq != update.startIndex else {
                throw ValidationError("\"\(update)\": expected KEY=VALUE")
            }
        }
    }

    /// The full key of a key given on the command line.
    static func fullKey(_ key: String) -> String {
        switch key {
        case "name": return "attributes.system.job.name"
        case "urgency": return "urgency"
        default:
            if ["attributes.", "resources.", "tasks."].contains(where: { key.hasPrefix($0) }) { return key }
            return "attributes.system." + key
        }
    }

    func run() throws {
        let job = try Jobs.parse(id)
        var handle: FluxsHandle?
        func connected() throws -> FluxsHandle {
            if let handle { return handle }
            let made = try Instance.connect()
            handle = made
            return made
        }
        var payload: [String: JSONValue] = [:]
        var order: [String] = []
        for update in updates {
            let eq = update.firstIndex(of: "=")!
            let key = Self.fullKey(String(update[..<eq]))
            let text = String(update[update.index(after: eq)...])
            let value: JSONValue
            switch key {
            case "attributes.system.duration":
                value = .double(try duration(text, of: job) { try Jobs.info(try connected(), job) })
            case "attributes.system.queue", "attributes.system.job.name":
                value = .string(text)
            case "urgency":
                if let number = Int(text) {
                    value = .int(Int64(number))
                } else if let number = Jobs.urgency(text) {
                    value = .int(Int64(number))
                } else {
                    throw CommandFailure("urgency \"\(text)\": must be 0-31, hold, default or expedite")
                }
            default:
                value = (try? JSONValue(parsing: text)) ?? .string(text)
            }
            if payload[key] == nil { order.append(key) }
            payload[key] = value
        }
        if dryRun {
            print(JSONValue.object(payload).compactText)
            return
        }
        let start = TimeText.now()
        do {
            let h = try connected()
            try h.rpc(.jobManager.update, ["id": job.wire, "updates": .object(payload)])
            if wait { try waitForEvents(h, job, payload, since: start) }
        } catch let error as ServiceError {
            throw CommandFailure(Jobs.message(job, error.message))
        }
        if verbose {
            for key in order { print("updated \(key) to \(payload[key]!.compactText)") }
        }
    }

    /// The absolute duration `text` asks for: an FSD, or +FSD/-FSD from the job's
    /// present duration (which `info` fetches). Infinity is 0 (no limit).
    func duration(_ text: String, of job: JobID, info: () throws -> JSONValue) throws -> Double {
        let relative = text.first == "+" || text.first == "-"
        let amount: Double
        do { amount = try FluxDuration.parse(relative ? text.dropFirst() : text[...]) } catch {
            throw CommandFailure(error.message)
        }
        guard relative else { return amount.isInfinite ? 0 : amount }
        let present = try info()["duration"]?.doubleValue ?? 0
        let shown = Jobs.show(job)
        if present == 0 { throw CommandFailure("duration for \(shown) is unlimited, can't update by \(text)") }
        let result = text.first == "+" ? present + amount : present - amount
        if result <= 0 {
            throw CommandFailure("current duration for \(shown) (\(FluxDuration.format(present))) cannot be reduced by \(text.dropFirst())")
        }
        return result.isInfinite ? 0 : result
    }

    /// Waits until the job's eventlog holds the events of this update: a jobspec-update
    /// with every jobspec key asked for (and an urgency event for an urgency), posted
    /// at `since` or later.
    func waitForEvents(_ handle: FluxsHandle, _ job: JobID, _ payload: [String: JSONValue], since: Double) throws {
        let key = JobKeys(job).eventlog
        var wanted = payload
        let urgency = wanted.removeValue(forKey: "urgency")
        let failure = CommandFailure("\(Jobs.show(job)): the update did not appear in the eventlog")
        _ = try KVS.waitInEventlog(
            handle, payload: ["key": .string(key)], key: key, deadline: .infinity, timedOut: failure,
            awaited: "jobspec-update", events: { (value) throws(CommandFailure) in try Jobs.events(value, job) }
        ) { entries in
            let recent = entries.filter { $0.timestamp >= since - 1 }
            let spec = wanted.isEmpty || recent.contains { entry in
                entry.name == "jobspec-update" && wanted.allSatisfy { Self.same(entry.context?[$0.key], $0.value) }
            }
            let urged = urgency == nil || recent.contains { $0.name == "urgency" && Self.same($0.context?["urgency"], urgency!) }
            if spec && urged { return entries.last }
            if entries.last?.name == "clean" { throw failure }
            return nil
        }
    }

    /// Whether an event's value is the one sent (numbers compared as numbers).
    static func same(_ logged: JSONValue?, _ sent: JSONValue) -> Bool {
        guard let logged else { return false }
        if let a = logged.doubleValue, let b = sent.doubleValue { return a == b }
        return logged == sent
    }
}
