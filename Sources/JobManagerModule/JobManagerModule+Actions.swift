// Performing the core's actions: KVS writes (batched per loop turn), sched requests,
// job-exec requests, timers and replies.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

extension JobManagerModule {
    /// Performs actions in order.
    func perform(_ actions: [JobManagerCore.Action]) {
        for action in actions {
            switch action {
            case .appendEvent(let id, let entry):
                let keys = JobKeys(id)
                if entry.name == "submit", let spec = jobspecs[id] {
                    batch.ops.append(.put(keys.jobspec, spec))
                    if let signed = signatures[id] { batch.ops.append(.put(keys.signed, .string(signed))) }
                    batch.owners[id] = core.userid(of: id)
                }
                if entry.name == "alloc", let R = allocations[id] { batch.ops.append(.put(keys.R, R.json)) }
                let line = entry.line
                batch.ops.append(.append(keys.eventlog, line))
                if !journal.isEmpty, let uid = core.userid(of: id) {
                    batch.journal.append(JournalEntry(id: id, userid: uid, entry: entry, line: line))
                }
                if entry.name == "clean" { jobEnded(id) }
                armCommit()
            case .requestAlloc(let id): requestAlloc(id)
            case .cancelAlloc(let id):
                context.rpc(.sched.cancel, JobRequest(id).json) { _ in }
            case .startExec(let id): startExec(id)
            case .killExec(let id, let signal): killExec(id, signal: signal, terminate: true)
            case .requestFree(let id):
                context.rpc(.sched.free, JobRequest(id).json) { [unowned self] _ in
                    self.perform(self.core.on(.freed(id), at: Self.now()))
                }
            case .wakeAt(let time):
                context.reactor.after(max(time - Self.now(), 0)) { [weak self] in
                    guard let self else { return }
                    self.perform(self.core.on(.tick, at: Self.now()))
                }
            case .removeJob(let id):
                batch.ops.append(.unlink(JobKeys(id).directory, recursive: true))
                jobspecs[id] = nil
                signatures[id] = nil
                zombies.forget(id)
                armCommit()
            case .respond(let requestID, let reply):
                guard let request = requests.removeValue(forKey: requestID) else { continue }
                afterCommit { [unowned self] in self.reply(request, reply) }
            }
        }
    }

    private func reply(_ request: Message, _ reply: JobManagerCore.Reply) {
        switch reply {
        case .submitted(let id): context.respond(to: request, ["id": id.wire])
        case .urgency(let old): context.respond(to: request, ["old_urgency": .int(Int64(old))])
        case .ok: context.respond(to: request, [:])
        case .error(let error): context.respond(to: request, error: error)
        }
    }

    // MARK: - The KVS

    /// Runs `work` once everything queued so far is committed (at once if nothing is).
    func afterCommit(_ work: @escaping () -> Void) {
        if batch.ops.isEmpty && !batch.inFlight { return work() }
        batch.after.append(work)
        armCommit()
    }

    func armCommit() {
        guard !batch.armed, !batch.inFlight else { return }
        batch.armed = true
        context.reactor.after(0) { [weak self] in self?.commit() }
    }

    private func commit() {
        batch.armed = false
        guard !batch.inFlight else { return }
        let ops = batch.ops
        let owners = batch.owners
        let inactive = batch.inactive
        let after = batch.after
        let posted = batch.journal
        batch.ops.removeAll()
        batch.owners.removeAll(keepingCapacity: true)
        batch.inactive.removeAll(keepingCapacity: true)
        batch.after.removeAll()
        batch.journal.removeAll()
        guard !ops.isEmpty else { return after.forEach { $0() } }
        batch.inFlight = true
        batch.commits += 1
        context.rpc(.kvs.commit, KVSCommitRequest(ops, owners: owners, inactive: inactive).json) { [unowned self] response in
            if response.errnum != 0 { self.context.log(.err, "job-manager: kvs commit failed: \(response.errorText)") }
            self.batch.inFlight = false
            after.forEach { $0() }
            self.publishJournal(posted)
            if !self.batch.ops.isEmpty || !self.batch.after.isEmpty { self.armCommit() }
        }
    }

    // MARK: - The scheduler

    private func requestAlloc(_ id: JobID) {
        guard let record = core.record(id), let spec = jobspecs[id] else { return }
        let asked = SchedAllocRequest(id: id, priority: Int64(record.priority ?? 16), userid: record.userid,
                                      submitTime: record.timestamps[.new] ?? Self.now(), jobspec: spec)
        context.rpc(.sched.alloc, asked.json, flags: .streaming) { [unowned self] response in
            let now = Self.now()
            if response.errnum == ENODATA { return }
            if response.errnum != 0 { return self.perform(self.core.on(.allocDenied(id, note: response.errorText), at: now)) }
            let answer: SchedAllocResponse
            do throws(ServiceError) { answer = try SchedAllocResponse(json: try response.json()) } catch {
                // Never silence: the job would wait forever for resources. Whatever the
                // scheduler meant, it is told to drop the request and give back what it
                // may have allocated.
                self.context.log(.err, "job-manager: job \(id.formatted(.f58)): \(error.message)")
                self.context.rpc(.sched.cancel, JobRequest(id).json) { _ in }
                self.context.rpc(.sched.free, JobRequest(id).json) { _ in }
                return self.perform(self.core.on(.allocDenied(id, note: "the scheduler's answer is unreadable: \(error.message)"), at: now))
            }
            switch answer {
            case .success(_, let R):
                self.allocations[id] = R
                self.perform(self.core.on(.allocated(id, R, annotations: [:]), at: now))
            case .cancel:
                self.perform(self.core.on(.allocCanceled(id), at: now))
            case .annotate(_, let annotations):
                self.core.annotate(id, annotations)
            }
        }
    }

    // MARK: - Execution (the job-exec service)

    private func startExec(_ id: JobID) {
        guard let spec = jobspecs[id], let R = allocations[id] else { return }
        let job = ExecJob(id: id, jobspec: spec, R: R.json, userid: core.userid(of: id) ?? 0, signed: signatures[id])
        context.rpc(.jobExec.start, job.json, flags: .streaming) { [unowned self] response in
            let now = Self.now()
            if response.errnum == ENODATA { return }
            let report: ExecReport
            do throws(ServiceError) {
                if response.errnum != 0 { throw ServiceError(response: response) }
                report = try ExecReport(json: try response.json())
            } catch {
                // The job cannot go on: an exec exception, and its resources back.
                if response.errnum == 0 { self.context.log(.err, "job-manager: job \(id.formatted(.f58)): \(error.message)") }
                let exception = JobException(type: "exec", severity: 0, note: error.message)
                self.perform(self.core.on(.exception(id, exception), at: now))
                self.perform(self.core.on(.released(id, ranks: self.ranks(id), final: true), at: Self.now()))
                return
            }
            switch report {
            case .start:
                self.perform(self.core.on(.started(id), at: now))
            case .exception(let note):
                self.perform(self.core.on(.exception(id, JobException(type: "exec", severity: 0, note: note)), at: now))
            case .finish(let status):
                self.perform(self.core.on(.finished(id, status: status.waitStatus), at: now))
                self.perform(self.core.on(.released(id, ranks: self.ranks(id), final: true), at: Self.now()))
            }
        }
    }

    /// Signals a running job; `terminate` (a fatal exception) has SIGKILL follow.
    func killExec(_ id: JobID, signal: Int32, terminate: Bool) {
        context.rpc(.jobExec.kill, ExecKill(id: id, signal: signal, terminate: terminate).json) { _ in }
    }

    private func ranks(_ id: JobID) -> String { allocations[id]?.ranks.description ?? "" }

    /// A job reached INACTIVE: its waiters hear it, and the inactive limits
    /// (job-manager.inactive-age-limit, job-manager.inactive-num-limit) are applied.
    private func jobEnded(_ id: JobID) {
        jobspecs[id] = nil
        signatures[id] = nil
        allocations[id] = nil
        // Until its clean is committed, a wait for the job waits for that (a wait that
        // came now would find it INACTIVE but not yet a zombie).
        ending[id] = core.userid(of: id)
        batch.inactive.append(id)
        afterCommit { [unowned self] in
            self.ending[id] = nil
            self.answerWaiters(id)
            self.answerQueueWaiters()
            let age = self.context.attribute("job-manager.inactive-age-limit").flatMap { try? FluxDuration.parse($0) }
            let num = self.context.attribute("job-manager.inactive-num-limit").flatMap { Int($0) }
            if age != nil || num != nil { self.perform(self.core.purge(ageLimit: age, countLimit: num, at: Self.now())) }
        }
    }
}
