// The sched topics: hello (existing allocations), alloc (streaming), free, cancel,
// prioritize, status; and how the Scheduler's decisions become responses.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsSched
#if canImport(Glibc)
import Glibc
#endif

extension SchedModule {
    public var handlers: [ServiceHandler] {
        // Until the scheduler knows the instance's R, requests wait (and come back
        // through the frame once it does).
        func ready(_ serve: @escaping (Message, JSONValue) throws -> Void) -> (Message, JSONValue) throws -> Void {
            { [unowned self] request, body in
                guard self.hasScheduler else {
                    if let failure = self.noResources { throw failure }
                    return self.waiting.append(request)
                }
                try serve(request, body)
            }
        }
        return [
            ServiceHandler(.sched.hello, ready { [unowned self] in try self.hello($0, $1) }),
            ServiceHandler(.sched.alloc, ready { [unowned self] in try self.alloc($0, $1) }),
            ServiceHandler(.sched.free, ready { [unowned self] request, body in
                self.scheduler?.free(try JobRequest(json: body).id)
                self.context.respond(to: request, [:])
                self.armPass()
            }),
            ServiceHandler(.sched.cancel, ready { [unowned self] in try self.cancel($0, $1) }),
            ServiceHandler(.sched.expiration, ready { [unowned self] in try self.expiration($0, $1) }),
            ServiceHandler(.sched.prioritize, ready { [unowned self] request, body in
                for job in try SchedPrioritize(json: body).jobs { self.scheduler?.prioritize(job.id, priority: job.priority) }
                self.context.respond(to: request, [:])
                self.armPass()
            }),
            ServiceHandler(.sched.feasibility, ready { [unowned self] in try self.feasibility($0, $1) }),
            ServiceHandler(.sched.status, ready { [unowned self] request, _ in
                self.context.respond(to: request, [
                    "pending": .int(Int64(self.scheduler?.pendingCount ?? 0)), "running": .int(Int64(self.scheduler?.runningCount ?? 0)),
                    "allocated": self.scheduler?.resources.allocated.json ?? .null,
                ])
            }),
        ]
    }

    private func cancel(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let id = try JobRequest(json: body).id
        scheduler?.cancel(id)
        unlimited.remove(id)
        lastAnnotation[id] = nil
        if let pending = allocs.removeValue(forKey: id) {
            context.respond(to: pending, SchedAllocResponse.cancel(id).json)
            context.respond(to: pending, error: ServiceError(ENODATA, ""))
        }
        context.respond(to: request, [:])
        armPass()
    }

    private func feasibility(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard let spec = body["jobspec"] else { throw ServiceError(EPROTO, "sched.feasibility: missing \"jobspec\"") }
        let jobspec: Jobspec
        do { jobspec = try Jobspec(validating: spec) } catch { throw ServiceError(EINVAL, error.description) }
        if let reason = scheduler?.resources.infeasibility(try ResourceRequest(jobspec: jobspec)) {
            throw ServiceError(ENOSPC, "unsatisfiable request: \(reason)")
        }
        context.respond(to: request, [:])
    }

    private func hello(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let running = try SchedHello(json: body).running.map { ($0.id, $0.R) }
        try scheduler?.restore(running: running)
        context.log(.info, "sched: hello: \(running.count) running job(s) restored")
        context.respond(to: request, [:])
        armPass()
    }

    private func alloc(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "sched.alloc is a streaming request") }
        let asked = try SchedAllocRequest(json: body)
        let id = asked.id
        // A second request for a job already asked for would leave the first unanswered.
        guard allocs[id] == nil else { throw ServiceError(EEXIST, "job \(id.formatted(.f58)) already has an alloc request") }
        let jobspec: Jobspec
        do { jobspec = try Jobspec(validating: asked.jobspec) } catch { throw ServiceError(EINVAL, error.description) }
        let job = PendingJob(id: id, priority: asked.priority, submitTime: asked.submitTime ?? Broker.wallClock(),
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
                context.respond(to: request, SchedAllocResponse.success(job, R).json)
                context.respond(to: request, error: ServiceError(ENODATA, ""))
            case .annotate(let job, let estimate, let reason):
                guard let request = allocs[job] else { continue }
                let key = "\(reason)|\(estimate.map { String($0.rounded()) } ?? "")"
                guard lastAnnotation[job] != key else { continue }
                lastAnnotation[job] = key
                var sched: [String: JSONValue] = ["reason_pending": .string(reason)]
                if let estimate { sched["t_estimate"] = .double(estimate) }
                context.respond(to: request, SchedAllocResponse.annotate(job, annotations: ["sched": .object(sched)]).json)
            case .deny(let job, let reason):
                guard let request = allocs.removeValue(forKey: job) else { continue }
                unlimited.remove(job)
                lastAnnotation[job] = nil
                context.respond(to: request, error: ServiceError(ENOSPC, "unsatisfiable request: \(reason)"))
            }
        }
    }
}
