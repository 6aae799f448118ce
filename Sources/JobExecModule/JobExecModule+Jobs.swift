// Rank 0: a job from start to finish across its ranks, and its signals.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

extension JobExecModule {
    func startJob(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "job-exec.start is a streaming request") }
        let id = try body.jobID()
        guard runs[id] == nil else { throw ServiceError(EEXIST, "job \(id.formatted(.f58)) is already running") }
        guard let specJSON = body["jobspec"], let rJSON = body["R"] else { throw ServiceError(EPROTO, "missing \"jobspec\" or \"R\"") }
        let R: ResourceSet
        do { R = try ResourceSet(json: rJSON) } catch { throw ServiceError(EPROTO, "R: \(error.message)") }
        let run = JobRun(id: id, request: request, ranks: Array(R.ranks))
        runs[id] = run
        if let duration = Self.testDuration(specJSON) {
            announceStart(run)
            run.testTimer = context.reactor.after(duration) { [weak self] in self?.finish(run) }
            return
        }
        do {
            let jobspec = try Jobspec(validating: specJSON)
            // A guest's shells open its files as the guest; the owner must not make them.
            if try Self.userid(body) == getuid() { try Self.prepareOutputFiles(id: id, jobspec: jobspec) }
            writeHeaders(id: id, jobspec: jobspec, R: R)
        } catch let error as ServiceError {
            return fail(run, error.message)
        } catch {
            return fail(run, "\(error)")
        }
        let launch: JSONValue = ["id": body["id"] ?? .null, "jobspec": specJSON, "R": rJSON, "userid": .int(Int64(try Self.userid(body)))]
        for rank in run.ranks {
            context.rpc("job-exec.launch", launch, nodeid: .rank(rank), flags: .streaming) { [weak self] response in
                self?.launchReport(run, rank, response)
            }
        }
    }

    private func launchReport(_ run: JobRun, _ rank: UInt32, _ response: Message) {
        guard runs[run.id] === run else { return }
        if response.errnum == ENODATA { return }
        if response.errnum != 0 {
            context.respond(to: run.request, ["type": "exception", "note": .string(response.errorText)])
            run.started.insert(rank)
            shellEnded(run, rank, code: 1)
            return
        }
        guard let body = try? JSONValue(parsing: response.payload) else { return }
        switch body["type"]?.stringValue {
        case "started":
            run.started.insert(rank)
            if run.started.count == run.ranks.count { announceStart(run) }
        case "exited":
            if let error = body["error"]?.stringValue, !error.isEmpty {
                context.respond(to: run.request, ["type": "exception", "note": .string(error)])
            }
            shellEnded(run, rank, code: ((try? body.integer("code", as: Int32.self)) ?? nil) ?? 1)
        default:
            break
        }
    }

    private func shellEnded(_ run: JobRun, _ rank: UInt32, code: Int32) {
        run.ended.insert(rank)
        run.code = max(run.code, code)
        if run.started.count == run.ranks.count { announceStart(run) }
        if run.finished { finish(run) }
    }

    private func announceStart(_ run: JobRun) {
        guard !run.announcedStart else { return }
        run.announcedStart = true
        context.respond(to: run.request, ["type": "start"])
    }

    private func finish(_ run: JobRun, status: Int32? = nil) {
        guard runs[run.id] === run else { return }
        run.cancelTimers()
        runs[run.id] = nil
        announceStart(run)
        context.respond(to: run.request, ["type": "finish", "status": .int(Int64(status ?? Self.waitStatus(run.code)))])
        context.respond(to: run.request, error: ServiceError(ENODATA, ""))
    }

    /// A job that cannot be launched at all: an exception, then the end.
    private func fail(_ run: JobRun, _ note: String) {
        context.respond(to: run.request, ["type": "exception", "note": .string(note)])
        run.ended = Set(run.ranks)
        run.code = 1
        finish(run)
    }

    func killJob(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let id = try body.jobID()
        let signo = try body.signal() ?? SIGTERM
        guard let run = runs[id] else { throw ServiceError(ENOENT, "job \(id.formatted(.f58)) is not running here") }
        context.respond(to: request, [:])
        if run.testTimer != nil { return finish(run, status: signo) }
        signalShells(run, signo)
        if try body.flag("terminate") == true, run.killTimer == nil {
            let grace = context.attribute("job-exec.kill-timeout").flatMap { try? FluxDuration.parse($0) } ?? 5
            run.killTimer = context.reactor.after(grace) { [weak self] in
                guard let self, self.runs[id] === run else { return }
                self.context.log(.info, "job \(id.formatted(.f58)): still running \(grace)s after SIGTERM; sending SIGKILL")
                self.signalShells(run, SIGKILL)
            }
        }
    }

    private func signalShells(_ run: JobRun, _ signo: Int32) {
        for rank in run.ranks where !run.ended.contains(rank) {
            context.rpc("job-exec.signal", ["id": .int(Int64(bitPattern: run.id.value)), "signal": .int(Int64(signo))],
                        nodeid: .rank(rank)) { _ in }
        }
    }

    /// Starts the job's guest.output eventlog with its header, before any shell can
    /// append to it: the commit reaches the KVS ahead of every shell's, which are sent
    /// only once the shells run. (guest.input's header is fluxs run's, written before
    /// its first data.)
    private func writeHeaders(id: JobID, jobspec: Jobspec, R: ResourceSet) {
        let tasks = (try? TaskLayout(jobspec: jobspec, R: R).size) ?? jobspec.ntasks
        let now = Reactor.wallClock()
        let dir = id.formatted(.kvs)
        let ops: [JSONValue] = [["op": "append", "key": .string(dir + ".guest.output"),
                                 "value": .string(OutputRecord.header(tasks: tasks).entry(at: now).line)]]
        context.rpc("kvs.commit", ["ops": .array(ops)]) { [weak self] response in
            if response.errnum != 0 { self?.context.log(.err, "job \(id.formatted(.f58)): cannot start its output log: \(response.errorText)") }
        }
    }

    /// Empties the job's output files before any shell writes to them (the shells open
    /// them for appending).
    static func prepareOutputFiles(id: JobID, jobspec: Jobspec) throws(ServiceError) {
        for path in Set(OutputTemplate.files(id: id, jobspec: jobspec).values) {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw ServiceError(errno, "cannot open \(path): \(ServiceError.text(of: errno))") }
            close(fd)
        }
    }

    /// The user a job runs as (the instance owner when the request does not say).
    static func userid(_ body: JSONValue) throws(ServiceError) -> UInt32 {
        try body.integer("userid", as: UInt32.self) ?? getuid()
    }

    /// attributes.system.exec.test.run_duration, as seconds.
    static func testDuration(_ spec: JSONValue) -> Double? {
        guard let value = spec["attributes"]?["system"]?["exec"]?["test"]?["run_duration"] else { return nil }
        if let seconds = value.doubleValue { return max(seconds, 0) }
        return value.stringValue.flatMap { try? FluxDuration.parse($0) }
    }
}
