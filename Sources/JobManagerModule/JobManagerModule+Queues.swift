// Named queues (attribute `queues`: "NAME[:PROPERTY],..."; the first is the default):
// a job goes to the queue its jobspec names (attributes.system.queue) or to the
// default; a queue's property becomes a constraint on the nodes the job may get. A
// disabled queue refuses submissions; a stopped queue keeps its jobs from being
// scheduled. `fluxs queue drain` waits until a queue has no active jobs, `idle` until
// it has none running. Without configured queues there is one anonymous queue (its
// name is empty, as in Flux), which can be disabled, stopped, drained and idled the same
// way; jobs in it carry no system.queue.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

/// One named queue, or the anonymous one (name "").
struct NamedQueue {
    var name: String
    var isAnonymous: Bool { name.isEmpty }
    var property: String?
    var enabled = true
    var disabledReason = ""
    var started = true
    var stoppedReason = ""
}

extension JobManagerModule {
    /// The configured queues, in order (the first is the default); the anonymous queue
    /// alone without any.
    static func configuredQueues(_ text: String?) throws(ServiceError) -> [NamedQueue] {
        guard let text, !text.isEmpty else { return [NamedQueue(name: "")] }
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
        let anonymous = queues[0].isAnonymous
        if anonymous, jobspec.queue != nil {
            // As in Flux: without configured queues, a queue named at submit is ignored.
            do { try jobspec.removeAttribute("system.queue") } catch { throw ServiceError(EINVAL, error.description) }
        }
        let name = jobspec.queue ?? queues[0].name
        guard let queue = queues.first(where: { $0.name == name }) else {
            throw ServiceError(EINVAL, "unknown queue \"\(name)\" (queues: \(queues.map(\.name).joined(separator: ", ")))")
        }
        guard queue.enabled else {
            let what = anonymous ? "job submission is disabled" : "queue \(name) is disabled"
            throw ServiceError(EINVAL, "\(what)\(queue.disabledReason.isEmpty ? "" : ": \(queue.disabledReason)")")
        }
        if anonymous { return }
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

    /// job-manager.queue-list: every queue, its state and its jobs.
    func listQueues(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        context.respond(to: request, .array(queues.map { queue in
            let jobs = core.records.filter { ($0.summary.queue ?? "") == queue.name }
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
    }

    /// job-manager.queue-enable and queue-start: turn queues on or off, with a reason.
    func changeQueues(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let enabling = request.topic == ServiceMethod.jobManager.queueEnable.topic
        let targets = try queueTargets(body)
        let on = try body.flag(enabling ? "enable" : "start") ?? true
        let reason = try body.string("reason") ?? ""
        for index in targets {
            if enabling {
                queues[index].enabled = on
                queues[index].disabledReason = on ? "" : reason
            } else {
                queues[index].started = on
                queues[index].stoppedReason = on ? "" : reason
                perform(core.setQueue(queues[index].name, started: on))
            }
        }
        context.respond(to: request, [:])
    }

    /// job-manager.queue-wait: answered once the queues are drained (or idle).
    func waitForQueues(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let targets = try queueTargets(body)
        let until = try body.string("until") ?? "drained"
        guard until == "drained" || until == "idle" else { throw ServiceError(EINVAL, "queue-wait: \"until\" is drained or idle") }
        queueWaiters.append((request, targets.map { queues[$0].name }, until == "idle"))
        answerQueueWaiters()
    }

    /// The indexes of the queues a request names ("name", or "all"/no name: every queue).
    private func queueTargets(_ body: JSONValue) throws(ServiceError) -> [Int] {
        guard let name = try body.string("name"), !name.isEmpty, try body.flag("all") != true else {
            return Array(queues.indices)
        }
        if queues[0].isAnonymous { throw ServiceError(ENOENT, "no queues are configured (broker attribute queues); \"\(name)\" is unknown") }
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
                guard waiter.queues.contains(record.summary.queue ?? "") else { return false }
                return waiter.idle ? (record.state == .run || record.state == .cleanup) : true
            }
            if !busy { context.respond(to: waiter.request, [:]) }
            return !busy
        }
    }
}
