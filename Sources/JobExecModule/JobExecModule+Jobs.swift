// Rank 0: a job from start to finish across its ranks, and its signals.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A job being run: its state machine, the job manager's request it answers, and its timers.
final class ActiveRun {
    var state: JobRun
    /// The job manager's job-exec.start request, answered as things happen.
    let request: Message
    var testTimer: TimerWatcher?
    var killTimer: TimerWatcher?

    init(_ state: JobRun, request: Message) {
        self.state = state
        self.request = request
    }

    func cancelTimers() {
        testTimer?.cancel()
        killTimer?.cancel()
        testTimer = nil
        killTimer = nil
    }
}

extension JobExecModule {
    func startJob(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "job-exec.start is a streaming request") }
        let job = try ExecJob(json: body, owner: getuid())
        let id = job.id
        guard runs[id] == nil else { throw ServiceError(EEXIST, "job \(id.formatted(.f58)) is already running") }
        let R: ResourceSet
        do { R = try ResourceSet(json: job.R) } catch { throw ServiceError(EPROTO, "R: \(error.message)") }
        let run = ActiveRun(JobRun(id: id, ranks: Array(R.ranks)), request: request)
        runs[id] = run
        if let duration = Self.testDuration(job.jobspec) {
            report(run, run.state.startTestMode())
            run.testTimer = context.reactor.after(duration) { [weak self] in self?.advance(run, .testEnded(.exited(0))) }
            return
        }
        do {
            let jobspec = try Jobspec(validating: job.jobspec)
            // A guest's shells open its files as the guest; the owner must not make them.
            if job.userid == getuid() { try Self.prepareOutputFiles(id: id, jobspec: jobspec) }
            writeHeaders(id: id, jobspec: jobspec, R: R)
        } catch let error as ServiceError {
            return advance(run, .failed(note: error.message))
        } catch {
            return advance(run, .failed(note: "\(error)"))
        }
        let launch = job.json
        for rank in run.state.ranks {
            context.rpc(.jobExec.launch, launch, nodeid: .rank(rank), flags: .streaming) { [weak self] response in
                self?.launchReport(run, rank, response)
            }
        }
    }

    private func launchReport(_ run: ActiveRun, _ rank: UInt32, _ response: Message) {
        guard runs[run.state.id] === run, response.errnum != ENODATA else { return }
        if response.errnum != 0 { return advance(run, .shellEnded(rank, .exited(1), error: response.errorText)) }
        do throws(ServiceError) {
            switch try ShellReport(json: try response.json()) {
            case .started: advance(run, .shellStarted(rank))
            case .exited(let status, let error): advance(run, .shellEnded(rank, status, error: error))
            }
        } catch {
            // Never silence: a report that cannot be read ends the rank's part as failed.
            context.log(.err, "job \(run.state.id.formatted(.f58)): rank \(rank): unreadable job-exec.launch report: \(error.message)")
            advance(run, .shellEnded(rank, .exited(1), error: "rank \(rank): unreadable report from job-exec: \(error.message)"))
        }
    }

    /// Feeds the run's state machine and sends what it says.
    private func advance(_ run: ActiveRun, _ input: JobRun.Input) {
        guard runs[run.state.id] === run else { return }
        report(run, run.state.on(input))
    }

    private func report(_ run: ActiveRun, _ reports: [ExecReport]) {
        for report in reports { context.respond(to: run.request, report.json) }
        if run.state.finished {
            run.cancelTimers()
            runs[run.state.id] = nil
            context.respond(to: run.request, error: ServiceError(ENODATA, ""))
        }
    }

    func killJob(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let kill = try ExecKill(json: body)
        let id = kill.id
        guard let run = runs[id] else { throw ServiceError(ENOENT, "job \(id.formatted(.f58)) is not running here") }
        context.respond(to: request, [:])
        if run.testTimer != nil { return advance(run, .testEnded(.signaled(kill.signal))) }
        signalShells(run, kill.signal)
        if kill.terminate, run.killTimer == nil {
            let grace = context.attribute("job-exec.kill-timeout").flatMap { try? FluxDuration.parse($0) } ?? 5
            run.killTimer = context.reactor.after(grace) { [weak self] in
                guard let self, self.runs[id] === run else { return }
                self.context.log(.info, "job \(id.formatted(.f58)): still running \(grace)s after SIGTERM; sending SIGKILL")
                self.signalShells(run, SIGKILL)
            }
        }
    }

    private func signalShells(_ run: ActiveRun, _ signo: Int32) {
        for rank in run.state.ranks where run.state.mayRun(rank) {
            context.rpc(.jobExec.signal, ShellSignal(id: run.state.id, signal: signo).json, nodeid: .rank(rank)) { _ in }
        }
    }

    /// Starts the job's guest.output eventlog with its header, before any shell can
    /// append to it: the commit reaches the KVS ahead of every shell's, which are sent
    /// only once the shells run. (guest.input's header is fluxs run's, written before
    /// its first data.)
    private func writeHeaders(id: JobID, jobspec: Jobspec, R: ResourceSet) {
        let tasks = (try? TaskLayout(jobspec: jobspec, R: R).size) ?? jobspec.ntasks
        let header = OutputRecord.header(tasks: tasks).entry(at: Reactor.wallClock()).line
        let commit = KVSCommitRequest([.append(JobKeys(id).output, header)])
        context.rpc(.kvs.commit, commit.json) { [weak self] response in
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

    /// attributes.system.exec.test.run_duration, as seconds.
    static func testDuration(_ spec: JSONValue) -> Double? {
        guard let value = spec["attributes"]?["system"]?["exec"]?["test"]?["run_duration"] else { return nil }
        if let seconds = value.doubleValue { return max(seconds, 0) }
        return value.stringValue.flatMap { try? FluxDuration.parse($0) }
    }
}
