// The job manager alone (JobManagerModule on an EmbeddedModuleHost), with the kvs, sched
// and job-exec services it calls scripted: a job's whole life (submit, the eventlog it
// commits, sched.alloc, job-exec.start, the reports, sched.free, INACTIVE, wait, list,
// info); exit codes against signals; malformed scheduler and job-exec answers (a log
// line and an exception, never a stuck job); guests and owner-only methods; malformed
// requests; requests that come before the job manager has restored its jobs.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import JobManagerModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A guest of the tests (any uid but the owner's).
private let guest: UInt32 = getuid() == 4242 ? 4243 : 4242

/// A one-task, one-core jobspec.
private let jobspec: JSONValue = [
    "version": 1,
    "resources": [["type": "slot", "count": 1, "label": "task", "with": [["type": "core", "count": 1]]]],
    "tasks": [["command": ["true"], "slot": "task", "count": ["per_slot": 1]]],
    "attributes": ["system": ["duration": 0]],
]

/// J for `jobspec`, claimed by `userid` with `mechanism` (the job manager reads J but
/// does not verify it: fluxs-imp does, and t0810 shows it).
private func signed(by userid: UInt32, _ mechanism: String = "munge", payload: [UInt8] = jobspec.compactBytes) -> String {
    SignedRequest.signedPart(payload: payload, userid: userid, mechanism: mechanism) + (mechanism == "none" ? ".none" : ".MUNGE:unchecked")
}

/// Rank 0, core 0.
private let R = try! ResourceSet(json: try! JSONValue(parsing: """
    {"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0"}}],"nodelist":["n0"],"starttime":0,"expiration":0}}
    """))

extension EmbeddedModuleHost {
    /// Answers `request` on a later loop turn, as a service behind a broker would.
    fileprivate func replyLater(to request: Message, _ payload: JSONValue = [:]) {
        reactor.after(0) { [unowned self] in self.reply(to: request, payload) }
    }

    fileprivate func replyLater(to request: Message, error: ServiceError) {
        reactor.after(0) { [unowned self] in self.reply(to: request, error: error) }
    }

    /// Answers a request the module sent with raw payload bytes (JSON or not).
    fileprivate func reply(to request: Message, raw: [UInt8]) {
        context?.deliver(request.response(payload: raw))
    }

    /// Serves `method` with {} on a later loop turn.
    fileprivate func serveOK(_ method: ServiceMethod) {
        serve(method) { [unowned self] in self.replyLater(to: $0) }
    }

    /// Every eventlog entry the module committed for job `id`, in order.
    fileprivate func eventlog(_ id: JobID) -> [EventlogEntry] {
        commits.flatMap(\.ops).compactMap { op in
            guard case .append(let key, let line) = op, key == JobKeys(id).eventlog else { return nil }
            return line.split(separator: "\n").first.flatMap { try? EventlogEntry(parsing: $0) }
        }
    }

    /// The names of those entries.
    fileprivate func events(_ id: JobID) -> [String] { eventlog(id).map(\.name) }

    /// The kvs.commit requests the module sent.
    fileprivate var commits: [KVSCommitRequest] {
        sent(.kvs.commit).compactMap { try? KVSCommitRequest(json: try $0.json()) }
    }

    /// The last request for `method` that names job `id` (waiting for it to be sent).
    fileprivate func awaitSent(_ method: ServiceMethod, _ id: JobID) -> Message? {
        var found: Message?
        settle(timeout: 30) {
            found = self.sent(method).last { (try? $0.json().jobID()) == id }
            return found != nil
        }
        return found
    }

    /// Turns the loop until the request with `tag` is answered.
    @discardableResult
    fileprivate func awaitAnswer(_ tag: UInt32) -> Bool { settle(timeout: 30) { !self.answers(to: tag).isEmpty } }

    /// Turns the loop until job `id` posted `event`.
    @discardableResult
    fileprivate func awaitEvent(_ id: JobID, _ event: String) -> Bool { settle(timeout: 30) { self.events(id).contains(event) } }
}

@Suite struct JobManagerServiceTests {
    /// A job manager whose start-up is over: no jobs in the KVS, a scheduler that says
    /// hello; commits, feasibility and frees are answered {}. sched.alloc and
    /// job-exec.start are left to each test.
    static func jobManager(attributes: [String: String] = [:]) throws -> EmbeddedModuleHost {
        let host = try EmbeddedModuleHost(attributes: attributes)
        host.serve(.kvs.lookup) { [unowned host] in host.replyLater(to: $0, error: ServiceError(ENOENT, "no such key")) }
        for method in [ServiceMethod.sched.hello, .sched.feasibility, .kvs.commit, .sched.free] { host.serveOK(method) }
        try host.load(JobManagerModule.self)
        let probe = host.request(.jobManager.queueList)
        try #require(host.awaitAnswer(probe), "the job manager never became ready")
        return host
    }

    /// Submits `spec` and returns the job's id.
    static func submit(_ host: EmbeddedModuleHost, userid: UInt32? = nil, roles: Roles = .owner) throws -> JobID {
        // A guest's job comes signed (fluxs submit signs it), the owner's need not.
        let payload: JSONValue = roles.contains(.owner) ? ["jobspec": jobspec] : ["J": .string(signed(by: userid ?? guest))]
        let tag = host.request(.jobManager.submit, payload, userid: userid, roles: roles)
        try #require(host.awaitAnswer(tag))
        return try #require(host.answer(to: tag)?["id"].flatMap { JobID(wire: $0) }, "no id in \(String(describing: host.answer(to: tag)))")
    }

    /// Submits a job and gives it R: returns its id and the job-exec.start request.
    static func running(_ host: EmbeddedModuleHost) throws -> (id: JobID, exec: Message) {
        let id = try submit(host)
        let alloc = try #require(host.awaitSent(.sched.alloc, id))
        host.reply(to: alloc, SchedAllocResponse.success(id, R).json)
        let exec = try #require(host.awaitSent(.jobExec.start, id))
        return (id, exec)
    }

    /// job-manager.info about `id` (as the owner unless told).
    static func info(_ host: EmbeddedModuleHost, _ id: JobID) -> JSONValue? {
        let tag = host.request(.jobManager.info, ["id": id.wire])
        host.awaitAnswer(tag)
        return host.answer(to: tag)
    }

    // MARK: - A job's life

    @Test func aJobsWholeLife() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let id = try Self.submit(host)
        // The scheduler is asked with the jobspec, after submit..priority are committed.
        let alloc = try #require(host.awaitSent(.sched.alloc, id))
        #expect(alloc.flags.contains(.streaming))
        let asked = try SchedAllocRequest(json: try alloc.json())
        #expect(asked.jobspec == jobspec)
        #expect(asked.userid == getuid())
        #expect(host.awaitEvent(id, "priority"))
        #expect(host.events(id) == ["submit", "validate", "depend", "priority"])
        #expect(host.eventlog(id).first?.context?["userid"]?.intValue == Int64(getuid()))
        #expect(host.commits.flatMap(\.ops).contains(.put(JobKeys(id).jobspec, jobspec)))

        // Resources: job-exec.start with the job, its jobspec and its R.
        host.reply(to: alloc, SchedAllocResponse.success(id, R).json)
        let start = try #require(host.awaitSent(.jobExec.start, id))
        #expect(start.flags.contains(.streaming))
        let job = try ExecJob(json: try start.json(), owner: 0)
        #expect(job.id == id && job.jobspec == jobspec && job.userid == getuid())
        #expect(try ResourceSet(json: job.R) == R)
        #expect(host.awaitEvent(id, "alloc"))
        // R is written beside the eventlog, in the commit of the alloc entry.
        let putR = host.commits.flatMap(\.ops).compactMap { op -> JSONValue? in
            guard case .put(JobKeys(id).R, let value) = op else { return nil }
            return value
        }
        #expect(try putR.map { try ResourceSet(json: $0) } == [R])
        #expect(Self.info(host, id)?["state"] == "RUN")

        // The shells run and end: the resources go back, the job ends.
        host.reply(to: start, ExecReport.start.json)
        host.reply(to: start, ExecReport.finish(.exited(0)).json)
        host.reply(to: start, error: ServiceError(ENODATA))
        #expect(host.awaitSent(.sched.free, id) != nil)
        #expect(host.awaitEvent(id, "clean"))
        #expect(host.events(id) == ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"])
        #expect(host.eventlog(id).first { $0.name == "finish" }?.context?["status"] == 0)
        #expect(host.eventlog(id).first { $0.name == "release" }?.context?["final"] == true)

        let wait = host.request(.jobManager.wait, ["id": id.wire])
        #expect(host.awaitAnswer(wait))
        #expect(host.answer(to: wait)?["success"] == true)
        #expect(host.answer(to: wait)?["result"] == "COMPLETED")
        #expect(host.answer(to: wait)?["returncode"] == 0)
        // Waited for once: a second wait by id finds it reaped.
        let again = host.request(.jobManager.wait, ["id": id.wire])
        #expect(host.awaitAnswer(again))
        #expect(host.error(of: again)?.errnum == ECHILD)

        let info = Self.info(host, id)
        #expect(info?["state"] == "INACTIVE")
        #expect(info?["result"] == "COMPLETED")
        #expect(info?["ranks"] == "0")

        let list = host.request(.jobManager.list, ["json": true, "all": true])
        #expect(host.awaitAnswer(list))
        let jobs = host.answer(to: list)?["jobs"]?.arrayValue ?? []
        #expect(jobs.count == 1)
        #expect(jobs.first?["id"] == id.wire)
        #expect(jobs.first?["state"] == "INACTIVE")
        // The default listing is of active jobs only.
        let active = host.request(.jobManager.list, ["json": true])
        #expect(host.awaitAnswer(active))
        #expect(host.answer(to: active)?["jobs"]?.arrayValue?.isEmpty == true)
    }

    @Test func aWaitForAnyJobIsAnsweredWhenOneEnds() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let none = host.request(.jobManager.wait)
        #expect(host.awaitAnswer(none))
        #expect(host.error(of: none)?.errnum == ECHILD)

        let (id, start) = try Self.running(host)
        let wait = host.request(.jobManager.wait)
        host.settle()
        #expect(host.answers(to: wait).isEmpty)
        host.reply(to: start, ExecReport.start.json)
        host.reply(to: start, ExecReport.finish(.exited(1)).json)
        #expect(host.awaitAnswer(wait))
        #expect(host.answer(to: wait)?["id"] == id.wire)
        #expect(host.answer(to: wait)?["success"] == false)
        #expect(host.answer(to: wait)?["returncode"] == 1)
    }

    /// (how the shells ended, the finish event's wait status, the answers' returncode)
    struct Ending: CustomTestStringConvertible {
        var status: FluxsProtocol.ExitStatus
        var waitstatus: Int64
        var returncode: Int64
        var result: String
        var testDescription: String { status.description }
    }

    static let endings: [Ending] = [
        Ending(status: .exited(0), waitstatus: 0, returncode: 0, result: "COMPLETED"),
        Ending(status: .exited(130), waitstatus: 33280, returncode: 130, result: "FAILED"),
        Ending(status: .signaled(2), waitstatus: 2, returncode: -2, result: "FAILED"),
        Ending(status: .signaled(9), waitstatus: 9, returncode: -9, result: "FAILED"),
    ]

    @Test(arguments: endings) func anExitCodeIsNotASignal(_ e: Ending) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let (id, start) = try Self.running(host)
        host.reply(to: start, ExecReport.start.json)
        host.reply(to: start, ExecReport.finish(e.status).json)
        #expect(host.awaitEvent(id, "clean"))
        #expect(host.eventlog(id).first { $0.name == "finish" }?.context?["status"]?.intValue == e.waitstatus)
        let wait = host.request(.jobManager.wait, ["id": id.wire])
        #expect(host.awaitAnswer(wait))
        #expect(host.answer(to: wait)?["returncode"]?.intValue == e.returncode)
        #expect(host.answer(to: wait)?["result"]?.stringValue == e.result)
        let info = Self.info(host, id)
        #expect(info?["waitstatus"]?.intValue == e.waitstatus)
        #expect(info?["result"]?.stringValue == e.result)
    }

    // MARK: - Malformed answers from other services

    /// A malformed answer: what the service sends (given the job's id), and what the log
    /// line and the exception note must say.
    struct Garbled: CustomTestStringConvertible, Sendable {
        var name: String
        var payload: @Sendable (JobID) -> [UInt8]
        var says: String
        var testDescription: String { name }

        init(_ name: String, says: String, _ payload: @escaping @Sendable (JobID) -> [UInt8]) {
            self.name = name
            self.says = says
            self.payload = payload
        }

        init(_ name: String, says: String, json: @escaping @Sendable (JobID) -> JSONValue) {
            self.init(name, says: says) { json($0).compactBytes }
        }
    }

    static let allocAnswers: [Garbled] = [
        Garbled("a misspelt type", says: "unknown type \"sucess\"", json: { ["id": $0.wire, "type": "sucess"] }),
        Garbled("success without R", says: "without \"R\"", json: { ["id": $0.wire, "type": "success"] }),
        Garbled("an unreadable R", says: "unreadable R", json: { ["id": $0.wire, "type": "success", "R": ["version": 7]] }),
        Garbled("no type", says: "unknown type (none)", json: { ["id": $0.wire] }),
        Garbled("not JSON", says: "not JSON") { _ in Array("{\"type\": success".utf8) },
    ]

    @Test(arguments: allocAnswers) func aMalformedAllocAnswerEndsTheJob(_ g: Garbled) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let id = try Self.submit(host)
        let alloc = try #require(host.awaitSent(.sched.alloc, id))
        host.reply(to: alloc, raw: g.payload(id))
        #expect(host.awaitEvent(id, "clean"), "the job is stuck: \(host.events(id))")
        #expect(host.logs.contains { $0.level == .err && $0.message.contains(id.formatted(.f58)) && $0.message.contains(g.says) },
                "logged: \(host.logs.map(\.message))")
        let exception = host.eventlog(id).first { $0.name == "exception" }
        #expect(exception?.context?["type"] == "alloc")
        #expect(exception?.context?["severity"] == 0)
        #expect(exception?.context?["note"]?.stringValue?.contains(g.says) == true)
        #expect(host.sent(.jobExec.start).isEmpty)
        #expect(Self.info(host, id)?["result"] == "FAILED")
    }

    /// The scheduler meant something by its garbled answer: if it was a success (it holds
    /// the job's resources now), it must be told to let them go.
    @Test func aMalformedAllocAnswerTellsTheSchedulerToLetGo() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let id = try Self.submit(host)
        let alloc = try #require(host.awaitSent(.sched.alloc, id))
        host.reply(to: alloc, ["id": id.wire, "type": "success", "R": ["version": 7]])
        #expect(host.awaitEvent(id, "clean"))
        #expect(host.sent(.sched.cancel).map { try? JobRequest(json: $0.json()).id } == [id])
        #expect(host.sent(.sched.free).map { try? JobRequest(json: $0.json()).id } == [id])
    }

    static let execReports: [Garbled] = [
        Garbled("an unknown type", says: "unknown type \"begin\"", json: { _ in ["type": "begin"] }),
        Garbled("finish without status", says: "without \"status\"", json: { _ in ["type": "finish"] }),
        Garbled("a status that is not a number", says: "\"status\" must be an integer", json: { _ in ["type": "finish", "status": "0"] }),
        Garbled("not JSON", says: "not JSON") { _ in Array("finish".utf8) },
    ]

    @Test(arguments: execReports) func aMalformedExecReportEndsTheJob(_ g: Garbled) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let (id, start) = try Self.running(host)
        host.reply(to: start, ExecReport.start.json)
        host.reply(to: start, raw: g.payload(id))
        #expect(host.awaitEvent(id, "clean"), "the job is stuck: \(host.events(id))")
        #expect(host.logs.contains { $0.level == .err && $0.message.contains(id.formatted(.f58)) && $0.message.contains(g.says) },
                "logged: \(host.logs.map(\.message))")
        let exception = host.eventlog(id).first { $0.name == "exception" }
        #expect(exception?.context?["type"] == "exec")
        #expect(exception?.context?["note"]?.stringValue?.contains(g.says) == true)
        // Its shells may still run: they are told to stop, and the resources go back.
        let kill = try #require(host.awaitSent(.jobExec.kill, id))
        #expect(try ExecKill(json: try kill.json()).terminate)
        #expect(host.sent(.sched.free).count == 1)
        #expect(Self.info(host, id)?["result"] == "FAILED")
    }

    @Test func anExecErrorEndsTheJobWithoutALogLine() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let (id, start) = try Self.running(host)
        host.reply(to: start, error: ServiceError(EPERM, "no way"))
        #expect(host.awaitEvent(id, "clean"))
        #expect(host.eventlog(id).first { $0.name == "exception" }?.context?["note"] == "no way")
        #expect(!host.logs.contains { $0.level == .err })
    }

    @Test func anAllocDenialEndsTheJob() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let id = try Self.submit(host)
        let alloc = try #require(host.awaitSent(.sched.alloc, id))
        host.reply(to: alloc, error: ServiceError(ENOSPC, "unsatisfiable request"))
        #expect(host.awaitEvent(id, "clean"))
        #expect(host.eventlog(id).first { $0.name == "exception" }?.context?["note"] == "unsatisfiable request")
        #expect(host.sent(.sched.free).isEmpty)
    }

    // MARK: - Guests

    @Test func aGuestSubmitsAndSeesItsOwnJobs() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let mine = try Self.submit(host, userid: guest, roles: .user)
        let owners = try Self.submit(host)
        #expect(host.awaitEvent(mine, "submit"))
        #expect(host.eventlog(mine).first?.context?["userid"]?.intValue == Int64(guest))
        #expect(try SchedAllocRequest(json: try #require(host.awaitSent(.sched.alloc, mine)).json()).userid == guest)

        let info = host.request(.jobManager.info, ["id": mine.wire], userid: guest, roles: .user)
        #expect(host.awaitAnswer(info))
        #expect(host.answer(to: info)?["userid"]?.intValue == Int64(guest))

        // Even asking for every user's jobs, a guest lists its own.
        for payload: JSONValue in [["json": true], ["json": true, "userid": -1]] {
            let list = host.request(.jobManager.list, payload, userid: guest, roles: .user)
            #expect(host.awaitAnswer(list))
            #expect(host.answer(to: list)?["jobs"]?.arrayValue?.map { $0["id"] } == [mine.wire])
        }
        // The owner sees every user's with -1.
        let all = host.request(.jobManager.list, ["json": true, "userid": -1])
        #expect(host.awaitAnswer(all))
        #expect(Set(host.answer(to: all)?["jobs"]?.arrayValue?.compactMap { $0["id"] } ?? []) == [mine.wire, owners.wire])

        let last = host.request(.jobManager.last, userid: guest, roles: .user)
        #expect(host.awaitAnswer(last))
        #expect(host.answer(to: last)?["ids"] == [mine.wire])
    }

    @Test func aGuestCancelsItsOwnJob() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let mine = try Self.submit(host, userid: guest, roles: .user)
        let alloc = try #require(host.awaitSent(.sched.alloc, mine))
        let cancel = host.request(.jobManager.cancel, ["id": mine.wire, "note": "changed my mind"], userid: guest, roles: .user)
        #expect(host.awaitAnswer(cancel))
        #expect(host.error(of: cancel) == nil)
        #expect(host.awaitSent(.sched.cancel, mine) != nil)
        host.reply(to: alloc, SchedAllocResponse.cancel(mine).json)
        #expect(host.awaitEvent(mine, "clean"))
        let exception = host.eventlog(mine).first { $0.name == "exception" }
        #expect(exception?.context?["type"] == "cancel")
        #expect(exception?.context?["userid"]?.intValue == Int64(guest))
        let wait = host.request(.jobManager.wait, ["id": mine.wire], userid: guest, roles: .user)
        #expect(host.awaitAnswer(wait))
        #expect(host.answer(to: wait)?["result"] == "CANCELED")
    }

    /// A guest's request about the owner's job.
    struct Trespass: CustomTestStringConvertible, Sendable {
        var method: ServiceMethod
        var payload: @Sendable (JobID) -> JSONValue
        var testDescription: String { method.topic }
    }

    static let trespasses: [Trespass] = [
        Trespass(method: .jobManager.info) { ["id": $0.wire] },
        Trespass(method: .jobManager.cancel) { ["id": $0.wire] },
        Trespass(method: .jobManager.raise) { ["id": $0.wire, "type": "test"] },
        Trespass(method: .jobManager.urgency) { ["id": $0.wire, "urgency": 0] },
        Trespass(method: .jobManager.memo) { ["id": $0.wire, "memo": ["a": 1]] },
        Trespass(method: .jobManager.kill) { ["id": $0.wire] },
        Trespass(method: .jobManager.wait) { ["id": $0.wire] },
        Trespass(method: .jobManager.update) { ["id": $0.wire, "updates": ["attributes.system.job.name": "mine"]] },
        Trespass(method: .jobManager.list) { ["ids": [$0.wire], "json": true] },
    ]

    @Test(arguments: trespasses) func aGuestCannotTouchAnothersJob(_ t: Trespass) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let owners = try Self.submit(host)
        #expect(host.awaitSent(.sched.alloc, owners) != nil)
        let before = host.events(owners)
        let tag = host.request(t.method, t.payload(owners), userid: guest, roles: .user)
        #expect(host.awaitAnswer(tag))
        #expect(host.error(of: tag)?.errnum == EPERM, "\(String(describing: host.error(of: tag)))")
        host.settle()
        #expect(host.events(owners) == before)
        #expect(host.sent(.sched.cancel).isEmpty)
    }

    static let ownerOnly: [ServiceMethod] = [
        .jobManager.purge, .jobManager.purgeID, .jobManager.queueEnable, .jobManager.queueStart, .jobManager.queueWait,
    ]

    @Test(arguments: ownerOnly) func ownerOnlyMethodsRefuseGuests(_ method: ServiceMethod) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let tag = host.request(method, ["enable": false, "id": 1], userid: guest, roles: .user)
        #expect(host.answers(to: tag).count == 1)
        #expect(host.error(of: tag)?.errnum == EPERM)
        #expect(host.error(of: tag)?.message == "\(method.topic) is for the instance owner")
        // Nothing changed: the queues still take submissions.
        let submit = host.request(.jobManager.submit, ["J": .string(signed(by: guest))], userid: guest, roles: .user)
        #expect(host.awaitAnswer(submit))
        #expect(host.error(of: submit) == nil)
    }

    // MARK: - Signed requests (J)

    /// A guest's job is run from the J it signed: the job manager keeps J (in the KVS,
    /// for a restart) and hands it to job-exec, which hands it to fluxs-imp.
    @Test func aGuestsSignedRequestGoesToTheKVSAndToJobExec() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let id = try Self.submit(host, userid: guest, roles: .user)
        #expect(host.awaitEvent(id, "submit"))
        let J = signed(by: guest)
        #expect(host.commits.flatMap(\.ops).contains { op in
            if case .put(let key, let value) = op { key == JobKeys(id).signed && value == .string(J) } else { false }
        })
        let alloc = try #require(host.awaitSent(.sched.alloc, id))
        host.reply(to: alloc, SchedAllocResponse.success(id, R).json)
        let exec = try #require(host.awaitSent(.jobExec.start, id))
        let job = try ExecJob(json: try exec.json(), owner: 0)
        #expect(job.signed == J)
        #expect(job.userid == guest)
        #expect(job.jobspec == jobspec)
        // The owner's jobs carry no J.
        let (_, ownersExec) = try Self.running(host)
        #expect(try ExecJob(json: try ownersExec.json(), owner: 0).signed == nil)
    }

    /// A refused submission: who sends it, what, and the words of the refusal.
    struct Unsigned: CustomTestStringConvertible, Sendable {
        var name: String
        var payload: JSONValue
        var owner = false
        var errnum: Int32 = EPERM
        var says: String
        var testDescription: String { name }
    }

    static let unsigned: [Unsigned] = [
        Unsigned(name: "a guest's plain jobspec", payload: ["jobspec": jobspec], says: "a guest's job must be signed (J, mechanism munge)"),
        Unsigned(name: "a guest's J signed for another uid", payload: ["J": .string(signed(by: guest + 1))],
                 says: "J is signed for uid \(guest + 1), but the submitter is uid \(guest)"),
        Unsigned(name: "a guest's J with mechanism none", payload: ["J": .string(signed(by: guest, "none"))],
                 says: "J: mechanism none is not accepted for a guest's job (munge is)"),
        Unsigned(name: "a J of another mechanism", payload: ["J": .string(signed(by: guest, "curve"))],
                 says: "J: mechanism curve is not accepted"),
        Unsigned(name: "a J that is not three parts", payload: ["J": "abc.def"], errnum: EINVAL, says: "J: not HEADER.PAYLOAD.SIGNATURE"),
        Unsigned(name: "a J whose payload is not JSON", payload: ["J": .string(signed(by: guest, payload: Array("tasks:".utf8)))],
                 errnum: EINVAL, says: "J: the payload is not a JSON jobspec"),
        Unsigned(name: "a J whose header is not base64", payload: ["J": "%%%.e30=.x"], errnum: EINVAL, says: "J: the header or the payload is not base64"),
        Unsigned(name: "the owner's J signed for a guest", payload: ["J": .string(signed(by: guest, "none"))], owner: true,
                 says: "J is signed for uid \(guest), but the submitter is uid"),
    ]

    @Test(arguments: unsigned) func aSubmissionThatIsNotSignedAsItMustBeIsRefused(_ u: Unsigned) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let tag = host.request(.jobManager.submit, u.payload, userid: u.owner ? nil : guest, roles: u.owner ? .owner : .user)
        #expect(host.awaitAnswer(tag))
        let error = try #require(host.error(of: tag))
        #expect(error.errnum == u.errnum)
        #expect(error.message.contains(u.says), "the answer: \(error.message)")
        #expect(host.sent(.sched.feasibility).isEmpty)
    }

    /// The owner may sign with none (as Flux's single-user instances do) or not at all.
    @Test func theOwnersJobMaySignWithNone() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let tag = host.request(.jobManager.submit, ["J": .string(signed(by: host.ownerUID, "none"))])
        #expect(host.awaitAnswer(tag))
        #expect(host.error(of: tag) == nil)
        #expect(host.answer(to: tag)?["id"].flatMap { JobID(wire: $0) } != nil)
    }

    // MARK: - Malformed requests

    typealias Bad = Refusal

    static let bad: [Bad] = [
        Bad(name: "submit without a jobspec", method: .jobManager.submit, says: "missing \"jobspec\" (or \"J\")"),
        Bad(name: "submit with a string urgency", method: .jobManager.submit, payload: ["jobspec": jobspec, "urgency": "high"],
            says: "\"urgency\" must be an integer"),
        Bad(name: "submit with an invalid jobspec", method: .jobManager.submit, payload: ["jobspec": ["version": 1]],
            errnum: EINVAL, says: "tasks"),
        Bad(name: "cancel without an id", method: .jobManager.cancel, says: "missing \"id\" (a job id)"),
        Bad(name: "cancel with a string id", method: .jobManager.cancel, payload: ["id": "f2ha"], says: "missing \"id\" (a job id)"),
        Bad(name: "info with a boolean id", method: .jobManager.info, payload: ["id": true], says: "missing \"id\" (a job id)"),
        Bad(name: "cancel with a numeric note", method: .jobManager.cancel, payload: ["id": 1, "note": 5], says: "\"note\" must be a string"),
        Bad(name: "urgency without urgency", method: .jobManager.urgency, payload: ["id": 1], says: "missing \"urgency\" (an integer)"),
        Bad(name: "memo without a memo", method: .jobManager.memo, payload: ["id": 1], says: "missing \"memo\" (an object)"),
        Bad(name: "memo that is a string", method: .jobManager.memo, payload: ["id": 1, "memo": "x"], says: "missing \"memo\" (an object)"),
        Bad(name: "kill with a named signal", method: .jobManager.kill, payload: ["id": 1, "signal": "TERM"], says: "\"signal\" must be an integer"),
        Bad(name: "kill with signal 99", method: .jobManager.kill, payload: ["id": 1, "signal": 99], errnum: EINVAL, says: "\"signal\" must be 1 to 64"),
        Bad(name: "update without updates", method: .jobManager.update, payload: ["id": 1], says: "missing \"updates\""),
        Bad(name: "list with ids not an array", method: .jobManager.list, payload: ["ids": 5], says: "\"ids\" must be an array of job ids"),
        Bad(name: "list with string ids", method: .jobManager.list, payload: ["ids": ["x"]], says: "\"ids\" must be an array of job ids"),
        Bad(name: "list with a fractional count", method: .jobManager.list, payload: ["count": 1.5], says: "\"count\" must be an integer"),
        Bad(name: "list with a string userid", method: .jobManager.list, payload: ["userid": "root"], says: "\"userid\" must be an integer"),
        Bad(name: "wait with a string reap", method: .jobManager.wait, payload: ["reap": "yes"], says: "\"reap\" must be true or false"),
        Bad(name: "events-journal not streaming", method: .jobManager.eventsJournal, says: "is a streaming request"),
        Bad(name: "events-journal-cancel without matchtag", method: .jobManager.eventsJournalCancel, says: "missing \"matchtag\""),
        Bad(name: "a payload that is not JSON", method: .jobManager.submit, raw: "{jobspec", says: "payload is not JSON"),
        Bad(name: "a payload that is an array", method: .jobManager.info, raw: "[1]", says: "payload must be a JSON object"),
        Bad(name: "purge with a string age", method: .jobManager.purge, payload: ["age": "old"], says: "\"age\" must be a finite number"),
    ]

    @Test(arguments: bad) func malformedRequestsAreRefused(_ b: Bad) throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        let tag = host.request(b.method, b.payload, raw: b.raw.map { Array($0.utf8) })
        #expect(host.awaitAnswer(tag))
        #expect(host.answers(to: tag).count == 1)
        let error = try #require(host.error(of: tag))
        #expect(error.errnum == b.errnum)
        #expect(error.message.contains(b.says), "the answer: \(error.message)")
        if b.errnum == EPROTO {
            #expect(host.logs.contains { $0.level == .warning && $0.message.contains(b.method.topic) })
        }
        #expect(host.sent(.sched.alloc).isEmpty)
    }

    /// A request refused for a malformed field is answered once: when the job manager
    /// stops, nothing answers it again.
    static let refusedThenTracked: [Bad] = [
        Bad(name: "cancel with a numeric note", method: .jobManager.cancel, payload: ["id": 1, "note": 5], says: "\"note\" must be a string"),
        Bad(name: "memo without an id", method: .jobManager.memo, payload: ["memo": ["a": 1]], says: "missing \"id\""),
    ]

    @Test(arguments: refusedThenTracked) func aRefusedRequestIsAnsweredOnce(_ b: Bad) throws {
        let host = try Self.jobManager()
        let tag = host.request(b.method, b.payload)
        #expect(host.awaitAnswer(tag))
        #expect(host.error(of: tag)?.errnum == EPROTO)
        host.unload()
        #expect(host.answers(to: tag).count == 1)
    }

    @Test func unknownJobsAreENOENT() throws {
        let host = try Self.jobManager()
        defer { host.unload() }
        for method in [ServiceMethod.jobManager.info, .jobManager.cancel, .jobManager.kill, .jobManager.wait, .jobManager.purgeID] {
            let tag = host.request(method, ["id": 12345])
            #expect(host.awaitAnswer(tag))
            #expect(host.error(of: tag)?.errnum == ENOENT, "\(method)")
        }
    }

    // MARK: - Start-up

    @Test func requestsBeforeTheJobManagerIsReadyAreAnsweredAfter() throws {
        let host = try EmbeddedModuleHost()
        defer { host.unload() }
        for method in [ServiceMethod.sched.hello, .sched.feasibility, .kvs.commit] { host.serveOK(method) }
        try host.load(JobManagerModule.self)
        let submit = host.request(.jobManager.submit, ["jobspec": jobspec])
        let list = host.request(.jobManager.list, ["json": true])
        let malformed = host.request(.jobManager.info, ["id": "x"])
        host.settle()
        #expect(host.answers(to: submit).isEmpty)
        #expect(host.answers(to: list).isEmpty)
        #expect(host.answers(to: malformed).isEmpty)
        // Nothing is asked of the scheduler before the jobs are restored.
        #expect(host.sent(.sched.hello).isEmpty)
        let lookup = try #require(host.sent(.kvs.lookup).first)
        #expect(try lookup.json()["key"] == "job")

        host.reply(to: lookup, error: ServiceError(ENOENT, "no such key"))
        #expect(host.settle(timeout: 30) { [submit, list, malformed].allSatisfy { !host.answers(to: $0).isEmpty } })
        #expect(host.sent(.sched.hello).count == 1)
        #expect(host.answer(to: submit)?["id"]?.intValue != nil)
        #expect(host.answer(to: list)?["jobs"]?.arrayValue != nil)
        #expect(host.error(of: malformed)?.errnum == EPROTO)
    }

    @Test func requestsWaitForTheSchedulersHello() throws {
        let host = try EmbeddedModuleHost()
        defer { host.unload() }
        host.serve(.kvs.lookup) { [unowned host] in host.replyLater(to: $0, error: ServiceError(ENOENT, "no such key")) }
        for method in [ServiceMethod.sched.feasibility, .kvs.commit] { host.serveOK(method) }
        try host.load(JobManagerModule.self)
        #expect(host.settle(timeout: 30) { !host.sent(.sched.hello).isEmpty })
        let submit = host.request(.jobManager.submit, ["jobspec": jobspec])
        host.settle()
        #expect(host.answers(to: submit).isEmpty)
        // No scheduler at all: jobs are still accepted, and that is logged once.
        host.reply(to: host.sent(.sched.hello)[0], error: ServiceError(ENOSYS, "no service"))
        #expect(host.awaitAnswer(submit))
        #expect(host.answer(to: submit)?["id"]?.intValue != nil)
        #expect(host.logs.filter { $0.message.contains("no scheduler") }.count == 1)
    }

    @Test func stoppingAnswersWhatWaits() throws {
        let host = try Self.jobManager()
        let (id, _) = try Self.running(host)
        let wait = host.request(.jobManager.wait, ["id": id.wire])
        host.settle()
        #expect(host.answers(to: wait).isEmpty)
        host.unload()
        #expect(host.error(of: wait)?.errnum == ECANCELED)
    }
}
