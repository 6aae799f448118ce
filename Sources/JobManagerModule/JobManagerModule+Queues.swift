// Named queues (attribute `queues`: "NAME[:PROPERTY],..."; the first is the default):
// a job goes to the queue its jobspec names (attributes.system.queue) or to the
// default; a queue's property becomes a constraint on the nodes the job may get. A
// disabled queue refuses submissions; a stopped queue keeps its jobs from being
// scheduled. `fluxs queue drain` waits until a queue has no active jobs, `idle` until
// it has none running.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// One named queue.
struct NamedQueue {
    var name: String
    var property: String?
    var enabled = true
    var disabledReason = ""
    var started = true
    var stoppedReason = ""
}

extension JobManagerModule {
    /// The configured queues, in order (the first is the default); empty without any.
    static func configuredQueues(_ text: String?) throws(ServiceError) -> [NamedQueue] {
        guard let text, !text.isEmpty else { return [] }
        var queues: [NamedQueue] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty, !queues.contains(where: { $0.name == name }) else {
                throw ServiceError(EINVAL, "queues \"\(text)\": expected distinct NAME[:PROPERTY] items, comma separated")
            }
            queues.append(NamedQueue(name: name, property: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil))
        }
        return queues
    }

    /// Puts a submitted job in its queue: the queue's name and property go into the jobspec.
    func enqueue(_ jobspec: inout Jobspec) throws(ServiceError) {
        guard let first = queues.first else {
            if let name = jobspec.queue { throw ServiceError(EINVAL, "no queues are configured (the job asks for \"\(name)\")") }
            return
        }
        let name = jobspec.queue ?? first.name
        guard let queue = queues.first(where: { $0.name == name }) else {
            throw ServiceError(EINVAL, "unknown queue \"\(name)\" (queues: \(queues.map(\.name).joined(separator: ", ")))")
        }
        guard queue.enabled else {
            throw ServiceError(EINVAL, "queue \(name) is disabled\(queue.disabledReason.isEmpty ? "" : ": \(queue.disabledReason)")")
        }
        do {
            try jobspec.setAttribute("system.queue", .string(name))
            if let property = queue.property {
                let mine: JSONValue = ["properties": [.string(property)]]
                let constraints: JSONValue = jobspec.constraints.map { ["and": [.object($0), mine]] } ?? mine
                try jobspec.setAttribute("system.constraints", constraints)
            }
        } catch {
            throw ServiceError(EINVAL, error.description)
        }
    }

    /// job-manager.queue-list, queue-enable, queue-start, queue-wait.
    func handleQueue(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        switch request.topic {
        case "job-manager.queue-list":
            context.respond(to: request, .array(queues.map { queue in
                let jobs = core.records.filter { $0.summary.queue == queue.name }
                var entry: [String: JSONValue] = [
                    "name": .string(queue.name), "enabled": .bool(queue.enabled), "started": .bool(queue.started),
                    "default": .bool(queue.name == queues.first?.name),
                    "pending": .int(Int64(jobs.filter { [.depend, .priority, .sched].contains($0.state) }.count)),
                    "running": .int(Int64(jobs.filter { $0.state == .run || $0.state == .cleanup }.count)),
                ]
                if let property = queue.property { entry["property"] = .string(property) }
                if !queue.disabledReason.isEmpty { entry["disabled_reason"] = .string(queue.disabledReason) }
                if !queue.stoppedReason.isEmpty { entry["stopped_reason"] = .string(queue.stoppedReason) }
                return .object(entry)
            }))
        case "job-manager.queue-enable", "job-manager.queue-start":
            let targets = try queueTargets(body)
            let on = body["enable"]?.boolValue ?? body["start"]?.boolValue ?? true
            let reason = body["reason"]?.stringValue ?? ""
            for index in targets {
                if request.topic.hasSuffix("enable") {
                    queues[index].enabled = on
                    queues[index].disabledReason = on ? "" : reason
                } else {
                    queues[index].started = on
                    queues[index].stoppedReason = on ? "" : reason
                    perform(core.setQueue(queues[index].name, started: on))
                }
            }
            context.respond(to: request, [:])
        case "job-manager.queue-wait":
            let targets = try queueTargets(body)
            let until = body["until"]?.stringValue ?? "drained"
            guard until == "drained" || until == "idle" else { throw ServiceError(EINVAL, "queue-wait: \"until\" is drained or idle") }
            queueWaiters.append((request, targets.map { queues[$0].name }, until == "idle"))
            answerQueueWaiters()
        default:
            throw ServiceError(ENOSYS, "job-manager has no method \"\(request.topic.dropFirst(12))\"")
        }
    }

    /// The indexes of the queues a request names ("name", or "all"/no name: every queue).
    private func queueTargets(_ body: JSONValue) throws(ServiceError) -> [Int] {
        guard !queues.isEmpty else { throw ServiceError(ENOENT, "no queues are configured (broker attribute queues)") }
        guard let name = body["name"]?.stringValue, !name.isEmpty, body["all"]?.boolValue != true else {
            return Array(queues.indices)
        }
        guard let index = queues.firstIndex(where: { $0.name == name }) else {
            throw ServiceError(ENOENT, "unknown queue \"\(name)\" (queues: \(queues.map(\.name).joined(separator: ", ")))")
        }
        return [index]
    }

    /// Answers queue waits whose queues are drained (no active job) or idle (none running).
    func answerQueueWaiters() {
        guard !queueWaiters.isEmpty else { return }
        let active = core.records.filter { $0.state != .inactive }
        queueWaiters.removeAll { waiter in
            let busy = active.contains { record in
                guard let queue = record.summary.queue, waiter.queues.contains(queue) else { return false }
                return waiter.idle ? (record.state == .run || record.state == .cleanup) : true
            }
            if !busy { context.respond(to: waiter.request, [:]) }
            return !busy
        }
    }
}
