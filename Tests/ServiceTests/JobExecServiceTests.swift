// job-exec alone (JobExecModule on an EmbeddedModuleHost), no shell ever started:
// test-mode jobs (start, finish, ENODATA; killed by a signal); a real job's
// job-exec.launch to each rank of its R with the ranks' replies scripted (start,
// exceptions, the worst status of all); unreadable launch reports; signals to the
// shells and the SIGKILL that follows a terminate; refusals (guests, non-streaming,
// malformed). Then JobRun, the state machine, alone: inputs in, ExecReports out.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
@testable import JobExecModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A one-task jobspec; in test mode with `runDuration`.
private func jobspec(runDuration: JSONValue? = nil) -> JSONValue {
    var system: [String: JSONValue] = ["duration": 0]
    if let runDuration { system["exec"] = ["test": ["run_duration": runDuration]] }
    return [
        "version": 1,
        "resources": [["type": "slot", "count": 1, "label": "task", "with": [["type": "core", "count": 1]]]],
        "tasks": [["command": ["true"], "slot": "task", "count": ["per_slot": 1]]],
        "attributes": ["system": .object(system)],
    ]
}

/// Ranks 0 and 1, one core each.
private let twoRanks: JSONValue = try! JSONValue(parsing: """
    {"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0"}}],"nodelist":["n[0-1]"],"starttime":0,"expiration":0}}
    """)

private let jobID = JobID(1_000_000)

/// What a job-exec.start stream carried: a report, or the error that ended it.
private enum Out: Hashable, CustomStringConvertible {
    case report(ExecReport)
    case end(Int32)
    case unreadable

    var description: String {
        switch self {
        case .report(let r): "\(r)"
        case .end(let e): "errno \(e)"
        case .unreadable: "unreadable"
        }
    }
}

extension EmbeddedModuleHost {
    /// The responses to `tag`, read.
    fileprivate func stream(_ tag: UInt32) -> [Out] {
        answers(to: tag).map { m in
            if m.errnum != 0 { return .end(m.errnum) }
            guard let json = try? m.json(), let report = try? ExecReport(json: json) else { return .unreadable }
            return .report(report)
        }
    }

    /// Turns the loop until the stream `tag` has ended.
    @discardableResult
    fileprivate func awaitEnd(_ tag: UInt32) -> Bool { settle(timeout: 30) { self.answers(to: tag).contains { $0.errnum != 0 } } }

    /// The job-exec.launch sent to `rank`.
    fileprivate func launch(to rank: UInt32) -> Message? { sent(.jobExec.launch).last { $0.nodeid == .rank(rank) } }
}

@Suite struct JobExecServiceTests {
    static func jobExec(attributes: [String: String] = [:]) throws -> EmbeddedModuleHost {
        let host = try EmbeddedModuleHost(attributes: attributes)
        host.serve(.kvs.commit) { [unowned host] request in host.reactor.after(0) { host.reply(to: request) } }
        try host.load(JobExecModule.self)
        return host
    }

    /// Starts a job as the job manager does (streaming).
    static func start(_ host: EmbeddedModuleHost, spec: JSONValue = jobspec(), R: JSONValue = twoRanks,
                      flags: MessageFlags = .streaming) -> UInt32 {
        host.request(.jobExec.start, ExecJob(id: jobID, jobspec: spec, R: R, userid: getuid()).json, flags: flags)
    }

    // MARK: - Test mode

    struct TestRun: CustomTestStringConvertible {
        var duration: JSONValue
        var testDescription: String { duration.compactText }
    }

    static let testRuns: [TestRun] = [TestRun(duration: 0), TestRun(duration: 0.01), TestRun(duration: "0.02s"), TestRun(duration: "10ms")]

    @Test(arguments: testRuns) func aTestModeJobStartsAndFinishes(_ t: TestRun) throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let tag = Self.start(host, spec: jobspec(runDuration: t.duration))
        #expect(host.stream(tag) == [.report(.start)])
        #expect(host.awaitEnd(tag))
        #expect(host.stream(tag) == [.report(.start), .report(.finish(.exited(0))), .end(ENODATA)])
        #expect(host.sent(.jobExec.launch).isEmpty)
        #expect(host.sent(.kvs.commit).isEmpty)
    }

    struct Kill: CustomTestStringConvertible {
        var payload: JSONValue
        var status: FluxsProtocol.ExitStatus
        var testDescription: String { payload.compactText }
    }

    static let kills: [Kill] = [
        Kill(payload: ["signal": 2], status: .signaled(2)),
        Kill(payload: [:], status: .signaled(SIGTERM)),
        Kill(payload: ["signal": 9, "terminate": true], status: .signaled(9)),
    ]

    @Test(arguments: kills) func aKilledTestModeJobFinishesWithTheSignal(_ k: Kill) throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let tag = Self.start(host, spec: jobspec(runDuration: 3600))
        #expect(host.stream(tag) == [.report(.start)])
        var payload = k.payload.objectValue ?? [:]
        payload["id"] = jobID.wire
        let kill = host.request(.jobExec.kill, .object(payload))
        #expect(host.answer(to: kill) == [:])
        #expect(host.awaitEnd(tag))
        #expect(host.stream(tag) == [.report(.start), .report(.finish(k.status)), .end(ENODATA)])
        // The job is gone: another kill finds nothing.
        let again = host.request(.jobExec.kill, ["id": jobID.wire])
        #expect(host.error(of: again)?.errnum == ENOENT)
    }

    // MARK: - Refusals

    @Test(arguments: ServiceMethod.jobExec.all) func guestsMayUseNoMethod(_ method: ServiceMethod) throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let body = ExecJob(id: jobID, jobspec: jobspec(runDuration: 0), R: twoRanks, userid: 4242).json
        let tag = host.request(method, body, userid: 4242, roles: .user, flags: .streaming)
        #expect(host.answers(to: tag).count == 1)
        #expect(host.error(of: tag)?.errnum == EPERM)
        #expect(host.sent.isEmpty)
    }

    typealias Bad = Refusal

    static let bad: [Bad] = [
        Bad(name: "start, not streaming", method: .jobExec.start,
            payload: ExecJob(id: jobID, jobspec: jobspec(runDuration: 0), R: twoRanks, userid: 0).json,
            errnum: EPROTO, says: "job-exec.start is a streaming request"),
        Bad(name: "start without an id", method: .jobExec.start, payload: ["jobspec": jobspec(), "R": twoRanks], flags: .streaming,
            errnum: EPROTO, says: "missing \"id\""),
        Bad(name: "start without R", method: .jobExec.start, payload: ["id": jobID.wire, "jobspec": jobspec()], flags: .streaming,
            errnum: EPROTO, says: "missing \"jobspec\" or \"R\""),
        Bad(name: "start with an unreadable R", method: .jobExec.start, payload: ["id": jobID.wire, "jobspec": jobspec(), "R": ["version": 9]],
            flags: .streaming, errnum: EPROTO, says: "R: "),
        Bad(name: "start with a string userid", method: .jobExec.start,
            payload: ["id": jobID.wire, "jobspec": jobspec(), "R": twoRanks, "userid": "me"], flags: .streaming,
            errnum: EPROTO, says: "\"userid\" must be an integer"),
        Bad(name: "kill of a job not running", method: .jobExec.kill, payload: ["id": jobID.wire], errnum: ENOENT, says: "is not running here"),
        Bad(name: "kill with signal 0", method: .jobExec.kill, payload: ["id": jobID.wire, "signal": 0], errnum: EINVAL, says: "\"signal\" must be 1 to 64"),
        Bad(name: "kill with a string terminate", method: .jobExec.kill, payload: ["id": jobID.wire, "terminate": "yes"],
            errnum: EPROTO, says: "\"terminate\" must be true or false"),
        Bad(name: "launch, not streaming", method: .jobExec.launch,
            payload: ExecJob(id: jobID, jobspec: jobspec(), R: twoRanks, userid: 0).json, errnum: EPROTO, says: "is a streaming request"),
        Bad(name: "signal without a signal", method: .jobExec.signal, payload: ["id": jobID.wire], errnum: EINVAL, says: "a signal 1-64 is needed"),
        Bad(name: "signal of a job without a shell", method: .jobExec.signal, payload: ["id": jobID.wire, "signal": 15], errnum: ENOENT,
            says: "has no shell here"),
    ]

    @Test(arguments: bad) func malformedRequestsAreRefused(_ b: Bad) throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let tag = host.request(b.method, b.payload, flags: b.flags)
        #expect(host.answers(to: tag).count == 1)
        let error = try #require(host.error(of: tag))
        #expect(error.errnum == b.errnum)
        #expect(error.message.contains(b.says), "the answer: \(error.message)")
        if b.errnum == EPROTO { #expect(host.logs.contains { $0.level == .warning && $0.message.contains(b.method.topic) }) }
        #expect(host.sent.isEmpty)
    }

    @Test func aJobRunsOnlyOnce() throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let first = Self.start(host, spec: jobspec(runDuration: 3600))
        let second = Self.start(host, spec: jobspec(runDuration: 3600))
        #expect(host.stream(first) == [.report(.start)])
        #expect(host.error(of: second)?.errnum == EEXIST)
    }

    @Test func anInvalidJobspecIsAnExceptionAndAFinish() throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let tag = Self.start(host, spec: ["version": 1])
        #expect(host.awaitEnd(tag))
        let out = host.stream(tag)
        guard case .report(.exception(let note))? = out.first else {
            Issue.record("no exception first: \(out)")
            return
        }
        #expect(note.contains("tasks"))
        #expect(out.last == .end(ENODATA))
        #expect(out.dropLast().last == .report(.finish(.exited(1))))
        #expect(host.sent(.jobExec.launch).isEmpty)
    }

    // MARK: - A real job, its ranks scripted

    /// One rank's reply to its job-exec.launch.
    enum Reply: Sendable {
        case started(UInt32)
        case exited(UInt32, FluxsProtocol.ExitStatus, error: String? = nil)
        /// The launch failed (an error response).
        case refused(UInt32, Int32, String)
    }

    struct Launch: CustomTestStringConvertible, Sendable {
        var name: String
        var replies: [Reply]
        var reports: [ExecReport]
        var testDescription: String { name }
    }

    static let launches: [Launch] = [
        Launch(name: "both ranks run and exit 0",
               replies: [.started(0), .started(1), .exited(0, .exited(0)), .exited(1, .exited(0))],
               reports: [.start, .finish(.exited(0))]),
        Launch(name: "the worst exit code",
               replies: [.started(1), .started(0), .exited(1, .exited(3)), .exited(0, .exited(1))],
               reports: [.start, .finish(.exited(3))]),
        Launch(name: "a signal over an exit code that reads the same",
               replies: [.started(0), .started(1), .exited(0, .exited(130)), .exited(1, .signaled(2))],
               reports: [.start, .finish(.signaled(2))]),
        Launch(name: "a shell's error is an exception",
               replies: [.started(0), .started(1), .exited(0, .exited(1), error: "rank 0: boom"), .exited(1, .exited(0))],
               reports: [.start, .exception(note: "rank 0: boom"), .finish(.exited(1))]),
        Launch(name: "a rank that cannot launch",
               replies: [.started(0), .refused(1, ENOENT, "rank 1: cannot start fluxs-shell"), .exited(0, .exited(0))],
               reports: [.exception(note: "rank 1: cannot start fluxs-shell"), .start, .finish(.exited(1))]),
        Launch(name: "no rank can launch",
               replies: [.refused(0, EPERM, "no"), .refused(1, EPERM, "no")],
               reports: [.exception(note: "no"), .exception(note: "no"), .start, .finish(.exited(1))]),
    ]

    @Test(arguments: launches) func aJobRunsOnEachRankOfItsR(_ l: Launch) throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let tag = Self.start(host)
        // The output log's header first, then one launch per rank, each with the job.
        let header = try #require(host.sent(.kvs.commit).first)
        let ops = try KVSCommitRequest(json: try header.json()).ops
        #expect(ops.count == 1 && ops.first?.key == JobKeys(jobID).output)
        #expect(host.sent(.jobExec.launch).map(\.nodeid) == [.rank(0), .rank(1)])
        for launch in host.sent(.jobExec.launch) {
            #expect(launch.flags.contains(.streaming))
            #expect(try ExecJob(json: try launch.json(), owner: 0) == ExecJob(id: jobID, jobspec: jobspec(), R: twoRanks, userid: getuid()))
        }
        for reply in l.replies {
            switch reply {
            case .started(let rank):
                host.reply(to: try #require(host.launch(to: rank)), ShellReport.started.json)
            case .exited(let rank, let status, let error):
                let launch = try #require(host.launch(to: rank))
                host.reply(to: launch, ShellReport.exited(status, error: error).json)
                host.reply(to: launch, error: ServiceError(ENODATA))
            case .refused(let rank, let errnum, let text):
                host.reply(to: try #require(host.launch(to: rank)), error: ServiceError(errnum, text))
            }
        }
        #expect(host.stream(tag) == l.reports.map { .report($0) } + [.end(ENODATA)])
        // Gone: a kill finds nothing.
        let kill = host.request(.jobExec.kill, ["id": jobID.wire])
        #expect(host.error(of: kill)?.errnum == ENOENT)
    }

    struct Unreadable: CustomTestStringConvertible, Sendable {
        var payload: String
        var says: String
        var testDescription: String { payload }
    }

    static let unreadable: [Unreadable] = [
        Unreadable(payload: "garbage", says: "not JSON"),
        Unreadable(payload: #"{"type":"exploded"}"#, says: "unknown type \"exploded\""),
        Unreadable(payload: #"{"type":"exited"}"#, says: "without \"status\""),
        Unreadable(payload: #"{"type":"exited","status":"1"}"#, says: "\"status\" must be an integer"),
    ]

    @Test(arguments: unreadable) func anUnreadableLaunchReportFailsTheRank(_ u: Unreadable) throws {
        let host = try Self.jobExec()
        defer { host.unload() }
        let tag = Self.start(host)
        let rank0 = try #require(host.launch(to: 0)), rank1 = try #require(host.launch(to: 1))
        host.reply(to: rank0, ShellReport.started.json)
        host.context?.deliver(rank1.response(payload: Array(u.payload.utf8)))
        #expect(host.logs.contains { $0.level == .err && $0.message.contains("rank 1: unreadable job-exec.launch report")
                && $0.message.contains(u.says) }, "logged: \(host.logs.map(\.message))")
        let out = host.stream(tag)
        #expect(out.count == 2)
        guard case .report(.exception(let note))? = out.first else {
            Issue.record("no exception: \(out)")
            return
        }
        #expect(note.hasPrefix("rank 1: unreadable report from job-exec"))
        #expect(out.last == .report(.start))
        // Rank 1 is taken as ended; the job ends with rank 0, failed.
        host.reply(to: rank0, ShellReport.exited(.exited(0), error: nil).json)
        #expect(host.stream(tag).suffix(2) == [.report(.finish(.exited(1))), .end(ENODATA)])
    }

    @Test func aKillSignalsTheShellsThenSIGKILLFollows() throws {
        let host = try Self.jobExec(attributes: ["job-exec.kill-timeout": "0.05s"])
        defer { host.unload() }
        let tag = Self.start(host)
        for rank: UInt32 in [0, 1] { host.reply(to: try #require(host.launch(to: rank)), ShellReport.started.json) }
        #expect(host.stream(tag) == [.report(.start)])

        let kill = host.request(.jobExec.kill, ExecKill(id: jobID, signal: SIGTERM, terminate: true).json)
        #expect(host.answer(to: kill) == [:])
        let signals = host.sent(.jobExec.signal)
        #expect(signals.map(\.nodeid) == [.rank(0), .rank(1)])
        #expect(try signals.map { try ShellSignal(json: try $0.json()) } == [ShellSignal(id: jobID, signal: SIGTERM), ShellSignal(id: jobID, signal: SIGTERM)])

        // Rank 0 goes; rank 1 is still there after the grace period: SIGKILL, to it alone.
        host.reply(to: try #require(host.launch(to: 0)), ShellReport.exited(.signaled(SIGTERM), error: nil).json)
        #expect(host.settle(timeout: 30) { host.sent(.jobExec.signal).count == 3 })
        let last = try #require(host.sent(.jobExec.signal).last)
        #expect(last.nodeid == .rank(1))
        #expect(try ShellSignal(json: try last.json()) == ShellSignal(id: jobID, signal: SIGKILL))
        host.reply(to: try #require(host.launch(to: 1)), ShellReport.exited(.signaled(SIGKILL), error: nil).json)
        // The worst status is the larger shell code: 128+15 over 128+9.
        #expect(host.stream(tag) == [.report(.start), .report(.finish(.signaled(SIGTERM))), .end(ENODATA)])
        host.settle()
        #expect(host.sent(.jobExec.signal).count == 3)
    }

    @Test func aKillWithoutTerminateSendsNoSIGKILL() throws {
        let host = try Self.jobExec(attributes: ["job-exec.kill-timeout": "0.01s"])
        defer { host.unload() }
        let tag = Self.start(host)
        for rank: UInt32 in [0, 1] { host.reply(to: try #require(host.launch(to: rank)), ShellReport.started.json) }
        host.request(.jobExec.kill, ExecKill(id: jobID, signal: SIGUSR1).json)
        #expect(host.sent(.jobExec.signal).count == 2)
        // Wait well past the grace period: the job is still running, nothing more is sent.
        var waited = false
        host.reactor.after(0.2) { waited = true }
        #expect(host.settle(timeout: 30) { waited })
        #expect(host.sent(.jobExec.signal).count == 2)
        #expect(host.stream(tag) == [.report(.start)])
    }

    @Test func stoppingEndsTheRuns() throws {
        let host = try Self.jobExec()
        let tag = Self.start(host, spec: jobspec(runDuration: 3600))
        host.unload()
        #expect(host.stream(tag) == [.report(.start), .end(ECANCELED)])
    }
}

// MARK: - JobRun alone

@Suite struct JobRunTests {
    struct Case: CustomTestStringConvertible, @unchecked Sendable {
        var name: String
        var ranks: [UInt32]
        /// Each input and the reports it must give.
        var steps: [(JobRun.Input, [ExecReport])]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one rank", ranks: [0], steps: [
            (.shellStarted(0), [.start]),
            (.shellEnded(0, .exited(0), error: nil), [.finish(.exited(0))]),
        ]),
        Case(name: "start once every shell runs", ranks: [0, 1, 2], steps: [
            (.shellStarted(2), []),
            (.shellStarted(0), []),
            (.shellStarted(0), []),
            (.shellStarted(1), [.start]),
            (.shellEnded(1, .exited(0), error: nil), []),
            (.shellEnded(0, .exited(4), error: nil), []),
            (.shellEnded(2, .exited(2), error: nil), [.finish(.exited(4))]),
        ]),
        Case(name: "a signal beats an exit code", ranks: [0, 1], steps: [
            (.shellStarted(0), []),
            (.shellStarted(1), [.start]),
            (.shellEnded(0, .signaled(9), error: nil), []),
            (.shellEnded(1, .exited(2), error: nil), [.finish(.signaled(9))]),
        ]),
        Case(name: "130 against SIGINT", ranks: [0, 1], steps: [
            (.shellStarted(0), []),
            (.shellStarted(1), [.start]),
            (.shellEnded(0, .signaled(2), error: nil), []),
            (.shellEnded(1, .exited(130), error: nil), [.finish(.signaled(2))]),
        ]),
        Case(name: "an error is an exception", ranks: [0, 1], steps: [
            (.shellStarted(0), []),
            (.shellEnded(1, .exited(1), error: "rank 1: no shell"), [.exception(note: "rank 1: no shell"), .start]),
            (.shellEnded(0, .exited(0), error: ""), [.finish(.exited(1))]),
        ]),
        Case(name: "a failure ends every rank", ranks: [0, 1], steps: [
            (.shellStarted(0), []),
            (.failed(note: "no way"), [.exception(note: "no way"), .start, .finish(.exited(1))]),
            (.shellEnded(1, .exited(0), error: "late"), []),
            (.shellStarted(1), []),
        ]),
        Case(name: "a test-mode end", ranks: [0, 1], steps: [
            (.testEnded(.signaled(15)), [.start, .finish(.signaled(15))]),
            (.testEnded(.exited(0)), []),
        ]),
        Case(name: "a shell that ends without having started", ranks: [3], steps: [
            (.shellEnded(3, .exited(0), error: nil), [.start, .finish(.exited(0))]),
        ]),
    ]

    @Test(arguments: cases) func reports(_ c: Case) {
        var run = JobRun(id: JobID(7), ranks: c.ranks)
        for (index, (input, expected)) in c.steps.enumerated() {
            let reports = run.on(input)
            #expect(reports == expected, "step \(index): \(input)")
        }
        #expect(run.finished == c.steps.contains { $0.1.contains { if case .finish = $0 { true } else { false } } })
    }

    @Test func testModeStartsOnce() {
        var run = JobRun(id: JobID(7), ranks: [0])
        let first = run.startTestMode(), second = run.startTestMode()
        #expect(first == [.start])
        #expect(second == [])
        let end = run.on(.testEnded(.exited(0)))
        #expect(end == [.finish(.exited(0))])
        #expect(run.finished)
    }

    @Test func onlyRanksThatMayRunAreWorthASignal() {
        var run = JobRun(id: JobID(7), ranks: [0, 1])
        #expect(run.mayRun(0) && run.mayRun(1))
        _ = run.on(.shellStarted(0))
        _ = run.on(.shellStarted(1))
        _ = run.on(.shellEnded(0, .signaled(15), error: nil))
        #expect(!run.mayRun(0))
        #expect(run.mayRun(1))
        _ = run.on(.failed(note: "gone"))
        #expect(!run.mayRun(1))
    }
}
