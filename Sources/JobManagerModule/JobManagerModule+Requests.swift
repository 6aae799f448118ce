// The job-manager topics: submit, urgency, cancel (one or many), update (JobManagerModule+Update.swift), raise, memo, kill, list,
// info, wait, last, purge; events-journal (JobManagerModule+Journal.swift).
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

extension JobManagerModule {
    public var handlers: [ServiceHandler] {
        // Until the job manager has restored its jobs, requests wait (and come back
        // through the frame once it has); `now` is the time the request is served.
        func row(_ method: ServiceMethod, _ serve: @escaping (Message, JSONValue, Double) throws -> Void) -> ServiceHandler {
            ServiceHandler(method) { [unowned self] request, body in
                guard self.ready else { return self.parked.append(request) }
                try serve(request, body, Self.now())
            }
        }
        return [
            row(.jobManager.submit) { [unowned self] in try self.submit($0, $1, now: $2) },
            row(.jobManager.urgency) { [unowned self] request, body, now in
                let urgency = try body.requiredInteger("urgency", as: Int.self)
                let id = try body.jobID()
                self.perform(self.core.setUrgency(self.track(request), id: id, urgency: urgency, by: self.requester(request), at: now))
                self.tellSchedulerPriority(id)
            },
            row(.jobManager.cancel) { [unowned self] request, body, now in
                // Read first: a request refused for its fields must not stay tracked.
                let id = try body.jobID()
                let note = try body.string("note") ?? ""
                self.perform(self.core.cancel(self.track(request), id: id, note: note, by: self.requester(request), at: now))
            },
            row(.jobManager.cancelAll) { [unowned self] in try self.cancelAll($0, $1, now: $2) },
            row(.jobManager.update) { [unowned self] in try self.update($0, $1, now: $2) },
            row(.jobManager.raise) { [unowned self] request, body, now in
                let raise = try JobRaise(json: body)
                let exception = JobException(type: raise.type, severity: raise.severity, note: raise.note, userid: request.userid)
                self.perform(self.core.raise(self.track(request), id: raise.id, exception: exception, by: self.requester(request), at: now))
            },
            row(.jobManager.memo) { [unowned self] request, body, now in
                guard let memo = body["memo"]?.objectValue else { throw ServiceError(EPROTO, "missing \"memo\" (an object)") }
                let id = try body.jobID()
                self.perform(self.core.memo(self.track(request), id: id, memo: memo, by: self.requester(request), at: now))
            },
            row(.jobManager.kill) { [unowned self] request, body, _ in
                let id = try body.jobID()
                let signal = try body.signal() ?? SIGTERM
                guard let record = self.core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
                try Self.mustOwn(record, request)
                guard record.state == .run else { throw ServiceError(EINVAL, "job \(id) is not running") }
                self.killSignal(id, signal)
                self.context.respond(to: request, [:])
            },
            row(.jobManager.list) { [unowned self] in try self.list($0, $1, now: $2) },
            row(.jobManager.info) { [unowned self] request, body, now in
                let id = try body.jobID()
                guard let record = self.core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
                try Self.mustOwn(record, request)
                self.context.respond(to: request, record.json(now: now))
            },
            row(.jobManager.wait) { [unowned self] request, body, _ throws(ServiceError) in try self.wait(request, body) },
            row(.jobManager.eventsJournal) { [unowned self] request, body, _ throws(ServiceError) in try self.subscribeJournal(request, body) },
            row(.jobManager.eventsJournalCancel) { [unowned self] request, body, _ throws(ServiceError) in try self.cancelJournal(request, body) },
            row(.jobManager.last) { [unowned self] request, body, _ in
                let count = try body.integer("count", as: Int.self, in: 1...Int.max) ?? 1
                let mine = self.core.records.filter { $0.userid == request.userid }.suffix(count).reversed()
                self.context.respond(to: request, ["ids": .array(mine.map { $0.id.wire })])
            },
            row(.jobManager.queueList) { [unowned self] request, body, _ throws(ServiceError) in try self.listQueues(request, body) },
            row(.jobManager.queueEnable) { [unowned self] request, body, _ throws(ServiceError) in try self.changeQueues(request, body) },
            row(.jobManager.queueStart) { [unowned self] request, body, _ throws(ServiceError) in try self.changeQueues(request, body) },
            row(.jobManager.queueWait) { [unowned self] request, body, _ throws(ServiceError) in try self.waitForQueues(request, body) },
            row(.jobManager.disconnect) { [unowned self] request, _, _ in self.disconnect(request) },
            row(.jobManager.purgeID) { [unowned self] request, body, _ in
                self.perform(try self.core.purge(try body.jobID()))
                self.context.respond(to: request, ["count": 1])
            },
            row(.jobManager.purge) { [unowned self] request, body, now in
                let before = self.core.jobs.count
                self.perform(self.core.purge(ageLimit: try body.number("age"),
                                             countLimit: try body.integer("num", as: Int.self, in: 0...Int.max), at: now))
                self.context.respond(to: request, ["count": .int(Int64(before - self.core.jobs.count))])
            },
        ]
    }

    /// A job the scheduler already holds keeps its place only if told its new priority.
    func tellSchedulerPriority(_ id: JobID) {
        guard let record = core.record(id), record.state == .sched, let priority = record.priority, priority > 0 else { return }
        context.rpc(.sched.prioritize, SchedPrioritize([(id, Int64(priority))]).json) { _ in }
    }

    /// A client went away: end its waits (the answers clear the broker's records).
    private func disconnect(_ request: Message) {
        let gone = ServiceError(ECONNRESET, "the client disconnected")
        for w in waiters where w.request.route == request.route { context.respond(to: w.request, error: gone) }
        for w in queueWaiters where w.request.route == request.route { context.respond(to: w.request, error: gone) }
        waiters.removeAll { $0.request.route == request.route }
        queueWaiters.removeAll { $0.request.route == request.route }
        dropJournal(route: request.route, gone)
    }

    private func submit(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        let limit = Int(context.attribute("job-manager.max-jobspec-size") ?? "") ?? 1 << 20
        guard request.payload.count <= limit else {
            throw ServiceError(EFBIG, "the jobspec is \(request.payload.count) bytes; the limit is \(limit) (job-manager.max-jobspec-size)")
        }
        let signed = try body.string("J")
        let spec = try Self.signedJobspec(request, signed: signed) ?? body["jobspec"]
        guard let spec else { throw ServiceError(EPROTO, "missing \"jobspec\" (or \"J\")") }
        let urgency = try body.integer("urgency", as: Int.self) ?? JobUrgency.default
        var jobspec: Jobspec
        do { jobspec = try Jobspec(validating: spec) } catch {
            throw ServiceError(EINVAL, error.problems.map(\.description).joined(separator: "; "))
        }
        try enqueue(&jobspec)
        // A request the instance could never satisfy is refused now, with what is missing.
        // Submissions are answered in order: the scheduler answers these in order too.
        let accepted = jobspec
        context.rpc(.sched.feasibility, ["jobspec": accepted.json]) { [unowned self] answer in
            if answer.errnum != 0 && answer.errnum != ENOSYS {
                return self.context.respond(to: request, error: ServiceError(response: answer))
            }
            self.accept(request, accepted, urgency: urgency, signed: signed)
        }
    }

    /// The jobspec of a signed request J (Flux RFC 39), read but not verified: the
    /// signer must be the submitter, and a guest's must be signed with MUNGE (which
    /// fluxs-imp verifies before it runs anything as the guest). A guest's request
    /// without J is refused; the owner's may come without it (mechanism none).
    static func signedJobspec(_ request: Message, signed: String?) throws(ServiceError) -> JSONValue? {
        let guest = !request.rolemask.contains(.owner)
        guard let signed else {
            guard !guest else {
                throw ServiceError(EPERM, "a guest's job must be signed (J, mechanism munge): fluxs submit signs it when munged is reachable; see fluxs-security(7)")
            }
            return nil
        }
        let J: SignedRequest
        do { J = try SignedRequest(parsing: signed) } catch { throw ServiceError(EINVAL, error.message) }
        guard J.userid == request.userid else {
            throw ServiceError(EPERM, "J is signed for uid \(J.userid), but the submitter is uid \(request.userid)")
        }
        guard J.mechanism == "munge" || (J.mechanism == "none" && !guest) else {
            throw ServiceError(EPERM, "J: mechanism \(J.mechanism) is not accepted for \(guest ? "a guest's job (munge is)" : "a job (munge and none are)")")
        }
        do { return try JSONValue(parsing: J.payload) } catch { throw ServiceError(EINVAL, "J: the payload is not a JSON jobspec: \(error.message)") }
    }

    private func accept(_ request: Message, _ jobspec: Jobspec, urgency: Int, signed: String?) {
        let now = Self.now()
        guard let id = generator.next(nowMilliseconds: UInt64(max(now - Self.epoch, 0) * 1000)) else {
            return context.respond(to: request, error: ServiceError(EOVERFLOW, "job ids are exhausted"))
        }
        jobspecs[id] = jobspec.json
        if let signed { signatures[id] = signed }
        submitted += 1
        perform(core.submit(track(request), id: id, summary: JobSummary(jobspec: jobspec),
                            urgency: urgency, by: requester(request), at: now))
    }

    private func cancelAll(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        var query = try JobListQuery(filter: try body.string("states") ?? "pending,running")
        query.userid = try Self.userFilter(request, body)
        let targets = core.records.filter { $0.state != .inactive && query.matches($0) }
        let note = try body.string("note") ?? ""
        if try body.flag("dry_run") != true {
            for record in targets {
                perform(core.cancel(0, id: record.id, note: note, by: requester(request), at: now))
            }
        }
        context.respond(to: request, ["count": .int(Int64(targets.count))])
    }

    /// Lists jobs. The selecting, sorting and formatting run on the listing thread over a
    /// copy-on-write snapshot of the records, so a long listing never holds up submissions.
    private func list(_ request: Message, _ body: JSONValue, now: Double) throws(ServiceError) {
        var query = JobListQuery()
        if let filter = try body.string("filter"), !filter.isEmpty { query = try JobListQuery(filter: filter) }
        if try body.flag("all") == true { query.includeAll() }
        query.userid = try Self.userFilter(request, body)
        if let count = try body.integer("count", as: Int.self) { query.count = count }
        query.since = try body.number("since")
        var problems: [JSONValue] = []
        if let ids = body["ids"] {
            guard let list = ids.arrayValue else { throw ServiceError(EPROTO, "\"ids\" must be an array of job ids") }
            query.ids = try list.map { (id: JSONValue) throws(ServiceError) in
                guard let id = JobID(wire: id) else { throw ServiceError(EPROTO, "\"ids\" must be an array of job ids") }
                return id
            }
            // Listed ids skip the state filters, never the owner check. With missing_ok,
            // ids that cannot be listed are reported in "errors" instead, as flux jobs
            // prints them ("JobID ID unknown") and lists the others.
            let lenient = try body.flag("missing_ok") == true
            var listable: [JobID] = []
            for id in query.ids ?? [] {
                let checked = Result { () throws(ServiceError) in
                    guard let record = core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
                    try Self.mustOwn(record, request)
                }
                switch checked {
                case .success: listable.append(id)
                case .failure(let error) where lenient: problems.append(.string(error.message))
                case .failure(let error): throw error
                }
            }
            query.ids = listable
        }
        query.name = try body.string("name")
        if let queues = try body.string("queue") {
            query.queues = Set(queues.split(separator: ",", omittingEmptySubsequences: false).map { String($0) })
        }
        if let ranks = try body.string("ranks") {
            do { query.ranks = try IDSet(parsing: ranks) } catch { throw ServiceError(EPROTO, "\"ranks\" is not an idset: \(ranks)") }
        }
        if let hosts = try body.string("hosts") {
            do { query.hosts = try Hostlist(parsing: hosts) } catch { throw ServiceError(EPROTO, "\"hosts\" is not a hostlist: \(hosts)") }
        }
        // Stats count every user's jobs for the owner (as flux-core's job-list), the
        // caller's own for a guest; in the named queues only when -q is given.
        let statsOnly = try body.flag("stats_only") == true
        let stats: JSONValue?
        if try body.flag("stats") == true || statsOnly {
            let owner = request.rolemask.contains(.owner)
            let mine = core.jobs.values.filter { owner || $0.userid == request.userid }
            let purged = owner ? (query.queues.map { $0.reduce(0) { $0 + (core.purged[$1] ?? 0) } }
                                  ?? core.purged.values.reduce(0, +)) : 0
            stats = JobListStats(mine, queues: query.queues, purged: purged).json
        } else {
            stats = nil
        }
        if statsOnly, let stats {
            return context.respond(to: request, ["stats": stats])
        }
        let json = try body.flag("json") == true
        let text = try body.string("format") ?? "default"
        var chosen = json ? nil : try JobFormat(JobFormat.named[text] ?? text)
        if try body.flag("ascii") == true { chosen?.f58 = .f58plain }
        let format = chosen
        let header = try body.flag("header") ?? true
        // Chosen here when that costs about what is listed (JobManagerCore+Listing.swift),
        // else on the lister's thread from a snapshot (a filter that matches few of many
        // jobs); formatted there.
        let picked = core.listing(query, budget: 20_000)
        let snapshot = picked == nil ? core : nil
        let selection = query
        let failures = problems
        lister.run({
            let records = picked ?? snapshot?.listing(selection) ?? []
            var reply: JSONValue
            if let format {
                let lines = format.lines(records, header: header, now: now) { uid in
                    guard let pw = getpwuid(uid) else { return nil }
                    return String(cString: pw.pointee.pw_name)
                }
                reply = ["lines": .array(lines.map { .string($0) })]
            } else {
                reply = JobListQuery.json(records, now: now)
            }
            if case .object(var fields) = reply, stats != nil || !failures.isEmpty {
                if let stats { fields["stats"] = stats }
                if !failures.isEmpty { fields["errors"] = .array(failures) }
                reply = .object(fields)
            }
            return reply
        }, then: context.reactor.waker) { [weak self] reply in self?.context.respond(to: request, reply) }
    }

    /// job-manager.wait, as wait(2): with an id, that job's end (reaped unless "reap" is
    /// false, as for `fluxs job status`); without, the caller's job that ended first and
    /// was not yet waited for, or the next to end; ECHILD when there is none left.
    private func wait(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let reap = try body.flag("reap") ?? true
        guard body["id"] != nil else {
            if let id = zombies.reapNext(of: request.userid), let record = core.record(id) {
                return context.respond(to: request, waitAnswer(record))
            }
            guard core.hasActiveJob(of: request.userid) || ending.values.contains(request.userid) else {
                throw ServiceError(ECHILD, "there are no more jobs to wait for")
            }
            waiters.append(Waiter(request: request, id: nil, reaps: true))
            return
        }
        let id = try body.jobID()
        guard let record = core.record(id) else { throw ServiceError(ENOENT, "unknown job id \(id)") }
        try Self.mustOwn(record, request)
        guard record.state == .inactive, ending[id] == nil else {
            return waiters.append(Waiter(request: request, id: id, reaps: reap))
        }
        guard !reap || zombies.reap(id) else { throw ServiceError(ECHILD, "job \(id) was already waited for") }
        context.respond(to: request, waitAnswer(record))
    }

    /// A pending job-manager.wait: for job `id`, or for any job of the caller (nil).
    struct Waiter {
        var request: Message
        var id: JobID?
        /// False for a look that leaves the job to be waited for (`fluxs job status`).
        var reaps: Bool
    }

    /// Whose jobs a list or cancel-all is about: the caller's own unless another user
    /// (or -1: everyone) is named; guests only ever their own.
    static func userFilter(_ request: Message, _ body: JSONValue) throws(ServiceError) -> UInt32? {
        let named = try body.userid()
        guard request.rolemask.contains(.owner) else { return request.userid }
        return named ?? request.userid
    }

    /// Guests may only look at and touch their own jobs.
    static func mustOwn(_ record: JobRecord, _ request: Message) throws(ServiceError) {
        if !request.rolemask.contains(.owner), record.userid != request.userid {
            throw ServiceError(EPERM, "job \(record.id.formatted(.f58)) belongs to another user")
        }
    }

    func waitAnswer(_ record: JobRecord) -> JSONValue {
        var answer: [String: JSONValue] = [
            "id": record.id.wire, "success": .bool(record.success ?? false),
            "result": .string(record.result?.name ?? ""),
        ]
        if let code = record.returncode { answer["returncode"] = .int(Int64(code)) }
        if let exception = record.exception, exception.isFatal {
            answer["errstr"] = .string("\(exception.type)\(exception.note.isEmpty ? "" : ": \(exception.note)")")
        }
        return .object(answer)
    }

    /// Job `id` ended: those who wait for it by id hear it and reap it; otherwise the
    /// first of its owner's waits for any job does; otherwise it stays a zombie. Waits
    /// for any job of an owner with nothing left to wait for then end with ECHILD.
    func answerWaiters(_ id: JobID) {
        guard let record = core.record(id) else { return }
        // The common case, a job ending with nobody waiting, costs O(1).
        guard !waiters.isEmpty else { return zombies.ended(id, userid: record.userid) }
        var reaped = false
        var still: [Waiter] = []
        for waiter in waiters {
            if waiter.id == id {
                context.respond(to: waiter.request, waitAnswer(record))
                reaped = reaped || waiter.reaps
            } else {
                still.append(waiter)
            }
        }
        if !reaped, let first = still.firstIndex(where: { $0.id == nil && $0.request.userid == record.userid }) {
            context.respond(to: still.remove(at: first).request, waitAnswer(record))
            reaped = true
        }
        if !reaped { zombies.ended(id, userid: record.userid) }
        // hasActiveJob looks at every active job: only when someone of this user waits.
        if still.contains(where: { $0.id == nil && $0.request.userid == record.userid }),
           !zombies.hasZombie(of: record.userid), !core.hasActiveJob(of: record.userid),
           !ending.values.contains(record.userid) {
            let none = ServiceError(ECHILD, "there are no more jobs to wait for")
            still.removeAll { waiter in
                guard waiter.id == nil, waiter.request.userid == record.userid else { return false }
                context.respond(to: waiter.request, error: none)
                return true
            }
        }
        waiters = still
    }

    /// `fluxs job kill`: a signal to a running job's tasks (test mode: the job ends).
    private func killSignal(_ id: JobID, _ signal: Int32) {
        killExec(id, signal: signal, terminate: false)
    }
}
