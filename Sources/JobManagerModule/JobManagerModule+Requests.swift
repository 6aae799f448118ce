// The job-manager topics: submit, urgency, cancel (one or many), raise, memo, kill, list,
// info, wait, last, purge.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

extension JobManagerModule {
    public func handle(_ request: Message) {
        guard ready else { return parked.append(request) }
        do throws(ServiceError) {
            let body: JSONValue
            do { body = request.payload.isEmpty ? [:] : try JSONValue(parsing: request.payload) } catch {
                throw ServiceError(EPROTO, "\(request.topic): payload is not JSON: \(error.message)")
            }
            let now = Self.now()
            switch request.topic {
            case "job-manager.submit": try submit(request, body, now: now)
            case "job-manager.urgency":
                guard let urgency = body["urgency"]?.intValue else { throw ServiceError(EPROTO, "missing \"urgency\"") }
                let id = try jobID(body)
                perform(core.setUrgency(track(request), id: id, urgency: Int(urgency), by: requester(request), at: now))
                // A job the scheduler already holds keeps its place only if told its new priority.
                if let record = core.record(id), record.state == .sched, let priority = record.priority, priority > 0 {
                    context.rpc("sched.prioritize", ["jobs": [[.int(Int64(bitPattern: id.value)), .int(Int64(priority))]]]) { _ in }
                }
            case "job-manager.cancel":
                perform(core.cancel(track(request), id: try jobID(body), note: body["note"]?.stringValue ?? "",
                                    by: requester(request), at: now))
            case "job-manager.cancel-all": try cancelAll(request, body, now: now)
            case "job-manager.raise":
                let exception = JobException(type: body["type"]?.stringValue ?? "cancel",
                                             severity: Int(body["severity"]?.intValue ?? 0),
                                             note: body["note"]?.stringValue ?? "", userid: request.userid)
                perform(core.raise(track(request), id: try jobID(body), exception: exception, by: requester(request), at: now))
            case "job-manager.memo":
                guard let memo = body["memo"]?.objectValue else { throw ServiceError(EPROTO, "missing \"memo\" (an object)") }
                perform(core.memo(track(request), id: try jobID(body), memo: memo, by: requester(request), at: now))
            case "job-manager.kill":
                let id = try jobID(body)
                guard let record = core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
                try Self.mustOwn(record, request)
                guard record.state == .run else { throw ServiceError(EINVAL, "job \(id) is not running") }
                killSignal(id, Int32(body["signal"]?.intValue ?? Int64(SIGTERM)))
                context.respond(to: request, [:])
            case "job-manager.list": try list(request, body, now: now)
            case "job-manager.info":
                let id = try jobID(body)
                guard let record = core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
                try Self.mustOwn(record, request)
                context.respond(to: request, record.json(now: now))
            case "job-manager.wait": try wait(request, body)
            case "job-manager.last":
                let count = Int(body["count"]?.intValue ?? 1)
                let mine = core.records.filter { $0.userid == request.userid }.suffix(max(count, 1)).reversed()
                context.respond(to: request, ["ids": .array(mine.map { .int(Int64(bitPattern: $0.id.value)) })])
            case "job-manager.queue-list", "job-manager.queue-enable", "job-manager.queue-start", "job-manager.queue-wait":
                try handleQueue(request, body)
            case "job-manager.disconnect":
                // A client went away: end its waits (the answers clear the broker's records).
                let gone = ServiceError(ECONNRESET, "the client disconnected")
                for w in waiters where w.request.route == request.route { context.respond(to: w.request, error: gone) }
                for w in queueWaiters where w.request.route == request.route { context.respond(to: w.request, error: gone) }
                waiters.removeAll { $0.request.route == request.route }
                queueWaiters.removeAll { $0.request.route == request.route }
            case "job-manager.purge":
                let before = core.jobs.count
                perform(core.purge(ageLimit: body["age"]?.doubleValue, countLimit: body["num"]?.intValue.map { Int($0) }, at: now))
                context.respond(to: request, ["count": .int(Int64(before - core.jobs.count))])
            default:
                throw ServiceError(ENOSYS, "job-manager has no method \"\(request.topic.dropFirst(12))\"")
            }
        } catch {
            context.respond(to: request, error: error)
        }
    }

    func jobID(_ body: JSONValue) throws(ServiceError) -> JobID {
        guard let id = body["id"]?.intValue else { throw ServiceError(EPROTO, "missing \"id\" (a job id)") }
        return JobID(UInt64(bitPattern: id))
    }

    private func submit(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        let limit = Int(context.attribute("job-manager.max-jobspec-size") ?? "") ?? 1 << 20
        guard request.payload.count <= limit else {
            throw ServiceError(EFBIG, "the jobspec is \(request.payload.count) bytes; the limit is \(limit) (job-manager.max-jobspec-size)")
        }
        guard let spec = body["jobspec"] else { throw ServiceError(EPROTO, "missing \"jobspec\"") }
        var jobspec: Jobspec
        do { jobspec = try Jobspec(validating: spec) } catch {
            throw ServiceError(EINVAL, error.problems.map(\.description).joined(separator: "; "))
        }
        try enqueue(&jobspec)
        // A request the instance could never satisfy is refused now, with what is missing.
        // Submissions are answered in order: the scheduler answers these in order too.
        let accepted = jobspec
        context.rpc("sched.feasibility", ["jobspec": accepted.json]) { [unowned self] answer in
            if answer.errnum != 0 && answer.errnum != ENOSYS {
                return self.context.respond(to: request, error: ServiceError(response: answer))
            }
            self.accept(request, accepted, body, spec: spec)
        }
    }

    private func accept(_ request: Message, _ jobspec: Jobspec, _ body: JSONValue, spec: JSONValue) {
        let now = Self.now()
        guard let id = generator.next(nowMilliseconds: UInt64(max(now - Self.epoch, 0) * 1000)) else {
            return context.respond(to: request, error: ServiceError(EOVERFLOW, "job ids are exhausted"))
        }
        jobspecs[id] = jobspec.json
        submitted += 1
        perform(core.submit(track(request), id: id, summary: JobSummary(jobspec: jobspec),
                            urgency: Int(body["urgency"]?.intValue ?? 16), by: requester(request), at: now))
    }

    private func cancelAll(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        var query = try JobListQuery(filter: body["states"]?.stringValue ?? "pending,running")
        // The caller's own jobs unless another user (or -1: everyone) is named; guests only their own.
        let uid = body["userid"]?.intValue ?? Int64(request.userid)
        query.userid = uid < 0 ? nil : UInt32(uid)
        if !request.rolemask.contains(.owner) { query.userid = request.userid }
        let targets = core.records.filter { $0.state != .inactive && query.matches($0) }
        if body["dry_run"]?.boolValue != true {
            for record in targets {
                perform(core.cancel(0, id: record.id, note: body["note"]?.stringValue ?? "", by: requester(request), at: now))
            }
        }
        context.respond(to: request, ["count": .int(Int64(targets.count))])
    }

    /// Lists jobs. The selecting, sorting and formatting run on the listing thread over a
    /// copy-on-write snapshot of the records, so a long listing never holds up submissions.
    private func list(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        var query = JobListQuery()
        if let filter = body["filter"]?.stringValue, !filter.isEmpty { query = try JobListQuery(filter: filter) }
        if body["all"]?.boolValue == true { query.includeAll() }
        let uid = body["userid"]?.intValue ?? Int64(request.userid)
        query.userid = uid < 0 ? nil : UInt32(uid)
        if !request.rolemask.contains(.owner) { query.userid = request.userid }
        if let count = body["count"]?.intValue { query.count = Int(count) }
        query.since = body["since"]?.doubleValue
        if let ids = body["ids"]?.arrayValue {
            query.ids = ids.compactMap { $0.intValue.map { JobID(UInt64(bitPattern: $0)) } }
        }
        let json = body["json"]?.boolValue == true
        let text = body["format"]?.stringValue ?? "default"
        let format = json ? nil : try JobFormat(JobFormat.named[text] ?? text)
        let header = body["header"]?.boolValue ?? true
        let snapshot = core.jobs
        let selection = query
        let finish = Reply { [weak self] reply in self?.context.respond(to: request, reply) }
        let waker = context.reactor.waker
        lister.post {
            let records = selection.select(Array(snapshot.values))
            let reply: JSONValue
            if let format {
                let lines = format.lines(records, header: header, now: now) { uid in
                    guard let pw = getpwuid(uid) else { return nil }
                    return String(cString: pw.pointee.pw_name)
                }
                reply = ["lines": .array(lines.map { .string($0) })]
            } else {
                reply = JobListQuery.json(records, now: now)
            }
            waker.post { finish.run(reply) }
        }
    }

    private func wait(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        if body["id"] == nil {
            guard core.hasActiveJob(of: request.userid) else {
                throw ServiceError(ECHILD, "there are no active jobs to wait for")
            }
            waiters.append((request, nil))
            return
        }
        let id = try jobID(body)
        guard let record = core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
        try Self.mustOwn(record, request)
        if record.state == .inactive { return context.respond(to: request, waitAnswer(record)) }
        waiters.append((request, id))
    }

    /// Guests may only look at and touch their own jobs.
    static func mustOwn(_ record: JobRecord, _ request: Message) throws(ServiceError) {
        if !request.rolemask.contains(.owner), record.userid != request.userid {
            throw ServiceError(EPERM, "job \(record.id.formatted(.f58)) belongs to another user")
        }
    }

    func waitAnswer(_ record: JobRecord) -> JSONValue {
        var answer: [String: JSONValue] = [
            "id": .int(Int64(bitPattern: record.id.value)), "success": .bool(record.success ?? false),
            "result": .string(record.result?.name ?? ""),
        ]
        if let code = record.returncode { answer["returncode"] = .int(Int64(code)) }
        if let exception = record.exception, exception.isFatal {
            answer["errstr"] = .string("\(exception.type)\(exception.note.isEmpty ? "" : ": \(exception.note)")")
        }
        return .object(answer)
    }

    /// Answers those who wait for `id` (or for any job of its owner).
    func answerWaiters(_ id: JobID) {
        guard let record = core.record(id) else { return }
        var still: [(request: Message, id: JobID?)] = []
        for waiter in waiters {
            if waiter.id == id || (waiter.id == nil && waiter.request.userid == record.userid) {
                context.respond(to: waiter.request, waitAnswer(record))
            } else {
                still.append(waiter)
            }
        }
        waiters = still
    }

    /// `fluxs job kill`: a signal to a running job's tasks (test mode: the job ends).
    private func killSignal(_ id: JobID, _ signal: Int32) {
        killExec(id, signal: signal, terminate: false)
    }
}
