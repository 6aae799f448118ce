// The sched topics: hello (existing allocations), alloc (streaming), free, cancel,
// prioritize, status; and how the Scheduler's decisions become responses.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsSched
#if canImport(Glibc)
import Glibc
#endif

extension SchedModule {
    public func handle(_ request: Message) {
        guard scheduler != nil else { return waiting.append(request) }
        do throws(ServiceError) {
            let body: JSONValue
            do { body = request.payload.isEmpty ? [:] : try JSONValue(parsing: request.payload) } catch {
                throw ServiceError(EPROTO, "\(request.topic): payload is not JSON: \(error.message)")
            }
            switch request.topic {
            case "sched.hello": try hello(request, body)
            case "sched.alloc": try alloc(request, body)
            case "sched.free":
                let id = try body.jobID().value
                scheduler?.free(id)
                context.respond(to: request, [:])
                armPass()
            case "sched.cancel":
                let id = try body.jobID().value
                scheduler?.cancel(id)
                unlimited.remove(id)
                lastAnnotation[id] = nil
                if let pending = allocs.removeValue(forKey: id) {
                    context.respond(to: pending, ["id": .int(Int64(bitPattern: id)), "type": "cancel"])
                    context.respond(to: pending, error: ServiceError(ENODATA, ""))
                }
                context.respond(to: request, [:])
                armPass()
            case "sched.expiration": try expiration(request, body)
            case "sched.prioritize":
                for pair in body["jobs"]?.arrayValue ?? [] {
                    guard let id = pair.arrayValue?.first?.intValue, let priority = pair.arrayValue?.last?.intValue,
                          (0...Int64(UInt32.max)).contains(priority) else { continue }
                    scheduler?.prioritize(UInt64(bitPattern: id), priority: priority)
                }
                context.respond(to: request, [:])
                armPass()
            case "sched.feasibility":
                guard let spec = body["jobspec"] else { throw ServiceError(EPROTO, "sched.feasibility: missing \"jobspec\"") }
                let jobspec: Jobspec
                do { jobspec = try Jobspec(validating: spec) } catch { throw ServiceError(EINVAL, error.description) }
                if let reason = scheduler?.resources.infeasibility(try ResourceRequest(jobspec: jobspec)) {
                    throw ServiceError(ENOSPC, "unsatisfiable request: \(reason)")
                }
                context.respond(to: request, [:])
            case "sched.status":
                context.respond(to: request, [
                    "pending": .int(Int64(scheduler?.pendingCount ?? 0)), "running": .int(Int64(scheduler?.runningCount ?? 0)),
                    "allocated": scheduler?.resources.allocated.json ?? .null,
                ])
            default:
                throw ServiceError(ENOSYS, "sched has no method \"\(request.topic.dropFirst(6))\"")
            }
        } catch {
            context.respond(to: request, error: error)
        }
    }

    private func hello(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        var running: [(UInt64, ResourceSet)] = []
        for job in body["running"]?.arrayValue ?? [] {
            guard let id = job["id"]?.intValue, let r = job["R"] else { throw ServiceError(EPROTO, "sched.hello: each job needs id and R") }
            do { running.append((UInt64(bitPattern: id), try ResourceSet(json: r))) } catch {
                throw ServiceError(EPROTO, "sched.hello: job \(id): \(error.message)")
            }
        }
        try scheduler?.restore(running: running)
        context.log(.info, "sched: hello: \(running.count) running job(s) restored")
        context.respond(to: request, [:])
        armPass()
    }

    private func alloc(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "sched.alloc is a streaming request") }
        let id = try body.jobID().value
        guard let spec = body["jobspec"] else { throw ServiceError(EPROTO, "sched.alloc: missing \"jobspec\"") }
        let jobspec: Jobspec
        do { jobspec = try Jobspec(validating: spec) } catch { throw ServiceError(EINVAL, error.description) }
        let job = PendingJob(id: id, priority: try body.integer("priority", as: Int64.self, in: 0...Int64(UInt32.max)) ?? 16,
                             submitTime: try body.number("t_submit") ?? Broker.wallClock(),
                             request: try ResourceRequest(jobspec: jobspec))
        allocs[id] = request
        if jobspec.duration <= 0 { unlimited.insert(id) }
        // Mutated in place: a copy of the scheduler would copy its graph and queue.
        guard let decisions = scheduler?.submit(job) else { return }
        apply(decisions)
        armPass()
    }

    /// Turns decisions into responses on the alloc streams.
    func apply(_ decisions: [SchedulerDecision]) {
        for decision in decisions {
            switch decision {
            case .allocate(let job, var R):
                guard let request = allocs.removeValue(forKey: job) else { continue }
                lastAnnotation[job] = nil
                // The default duration is for planning only: no time limit was asked for.
                if unlimited.remove(job) != nil { R.expiration = 0 }
                if instanceEnd > 0 { R.expiration = R.expiration > 0 ? min(R.expiration, instanceEnd) : instanceEnd }
                context.respond(to: request, ["id": .int(Int64(bitPattern: job)), "type": "success", "R": R.json])
                context.respond(to: request, error: ServiceError(ENODATA, ""))
            case .annotate(let job, let estimate, let reason):
                guard let request = allocs[job] else { continue }
                let key = "\(reason)|\(estimate.map { String($0.rounded()) } ?? "")"
                guard lastAnnotation[job] != key else { continue }
                lastAnnotation[job] = key
                var sched: [String: JSONValue] = ["reason_pending": .string(reason)]
                if let estimate { sched["t_estimate"] = .double(estimate) }
                context.respond(to: request, ["id": .int(Int64(bitPattern: job)), "type": "annotate",
                                              "annotations": ["sched": .object(sched)]])
            case .deny(let job, let reason):
                guard let request = allocs.removeValue(forKey: job) else { continue }
                unlimited.remove(job)
                lastAnnotation[job] = nil
                context.respond(to: request, error: ServiceError(ENOSPC, "unsatisfiable request: \(reason)"))
            }
        }
    }
}
