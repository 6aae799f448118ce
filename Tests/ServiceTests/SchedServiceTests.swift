// SchedModule alone in an EmbeddedModuleHost, messages in and messages out. For each
// method of its handler table (hello, alloc, free, cancel, expiration, prioritize,
// feasibility, status): a correct request and its answer (alloc's stream: annotate, then
// success and ENODATA; a deny is ENOSPC; sched.cancel ends the stream with a cancel
// response; sched.free lets a queued job start); malformed payloads (EPROTO naming the
// problem); guests (EPERM, but sched.feasibility is theirs too); requests that arrive
// before resource.R has answered (parked, answered afterwards); the resource events it
// follows (resource.drain/undrain/up, overlay.lost, and the node-failure it raises); its
// start-up settings and what stopping does to open streams.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import SchedModule
import Testing
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

/// An R of `nodes` nodes (ranks 0..., hosts node0...) of `cores` cores each.
private func cluster(_ nodes: Int, cores: Int = 2, expiration: Double = 0) -> ResourceSet {
    ResourceSet(nodes: (0..<nodes).map {
        ResourceSet.Node(rank: UInt32($0), hostname: "node\($0)", cores: IDSet(range: 0...UInt32(cores - 1)))
    }, expiration: expiration)
}

/// A jobspec as `fluxs submit` makes it.
private func spec(ntasks: Int? = 1, nnodes: Int? = nil, duration: Double? = nil) -> JSONValue {
    try! JobspecRequest(command: ["true"], ntasks: ntasks, nnodes: nnodes, duration: duration).build().json
}

/// Nothing down, nothing drained.
private let allUp: JSONValue = ["down": "", "drained": [:]]

/// A host with the sched module loaded; resource.R answers `R` and resource.status
/// `status` at once.
private func schedHost(_ R: ResourceSet = cluster(1), status: JSONValue = allUp,
                       attributes: [String: String] = [:]) throws -> EmbeddedModuleHost {
    let host = try EmbeddedModuleHost(attributes: attributes)
    host.serve(.resource.R) { [unowned host] in host.reply(to: $0, R.json) }
    host.serve(.resource.status) { [unowned host] in host.reply(to: $0, status) }
    try host.load(SchedModule.self)
    return host
}

/// Sends sched.alloc for job `id` (a streaming request, as the job manager sends it).
@discardableResult
private func alloc(_ host: EmbeddedModuleHost, _ id: UInt64, _ jobspec: JSONValue = spec(),
                   priority: Int64 = 16) -> UInt32 {
    let request = SchedAllocRequest(id: JobID(id), priority: priority, userid: 1000, submitTime: Double(id),
                                    jobspec: jobspec)
    return host.request(.sched.alloc, request.json, flags: .streaming)
}

/// The responses to `tag` in short: the type of each success payload ("annotate",
/// "success", "cancel") and the errno name of each error ("ENODATA", "ENOSPC", ...).
private func kinds(_ host: EmbeddedModuleHost, _ tag: UInt32) -> [String] {
    host.answers(to: tag).map { message in
        switch message.errnum {
        case 0: (try? JSONValue(parsing: message.payload))?["type"]?.stringValue ?? "?"
        case ENODATA: "ENODATA"
        case ENOSPC: "ENOSPC"
        case ECANCELED: "ECANCELED"
        default: "errno \(message.errnum)"
        }
    }
}

/// The decoded responses of the alloc stream `tag` (errors left out).
private func stream(_ host: EmbeddedModuleHost, _ tag: UInt32) -> [SchedAllocResponse] {
    host.answers(to: tag).compactMap { message in
        guard message.errnum == 0, let json = try? JSONValue(parsing: message.payload) else { return nil }
        return try? SchedAllocResponse(json: json)
    }
}

/// The R the stream `tag` allocated, if it did.
private func allocated(_ host: EmbeddedModuleHost, _ tag: UInt32) -> ResourceSet? {
    for response in stream(host, tag) { if case .success(_, let R) = response { return R } }
    return nil
}

/// The annotations.sched object of the last annotate response on `tag`.
private func lastAnnotation(_ host: EmbeddedModuleHost, _ tag: UInt32) -> JSONValue? {
    for response in stream(host, tag).reversed() {
        if case .annotate(_, let annotations) = response { return annotations["sched"] }
    }
    return nil
}

/// Waits until the stream `tag` has ended (its last response an error).
@discardableResult
private func waitForEnd(_ host: EmbeddedModuleHost, _ tag: UInt32) -> Bool {
    host.settle(timeout: 30) { (host.answers(to: tag).last?.errnum ?? 0) != 0 }
}

// MARK: - Tests

@Suite struct SchedServiceTests {
    // MARK: The alloc stream, free, cancel

    @Test func allocThatFitsGetsSuccessThenENODATA() throws {
        let host = try schedHost(cluster(1, cores: 4))
        let tag = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, tag))
        #expect(kinds(host, tag) == ["success", "ENODATA"])
        let R = try #require(allocated(host, tag))
        #expect(R.ncores == 2 && R.ranks == [0])
        // Without a duration the job has no time limit.
        #expect(R.expiration == 0)
        guard case .success(let id, _) = stream(host, tag).first else { Issue.record("no success"); return }
        #expect(id == JobID(1))
    }

    @Test func allocThatMustWaitIsAnnotatedAndStartsWhenAJobIsFreed() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let first = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, first))
        let second = alloc(host, 2, spec(ntasks: 2))
        #expect(host.settle(timeout: 30) { !host.answers(to: second).isEmpty })
        #expect(kinds(host, second) == ["annotate"])
        let reason = lastAnnotation(host, second)?["reason_pending"]?.stringValue ?? ""
        #expect(reason.hasPrefix("reserved at"))
        #expect(lastAnnotation(host, second)?["t_estimate"]?.doubleValue != nil)

        let free = host.request(.sched.free, JobRequest(JobID(1)).json)
        #expect(host.answer(to: free) == [:])
        #expect(waitForEnd(host, second))
        #expect(kinds(host, second) == ["annotate", "success", "ENODATA"])
        #expect(allocated(host, second)?.ncores == 2)
    }

    @Test func allocThatCanNeverFitIsDeniedENOSPC() throws {
        let host = try schedHost(cluster(1))
        let tag = alloc(host, 1, spec(ntasks: 5, nnodes: 5))
        #expect(kinds(host, tag) == ["ENOSPC"])
        #expect(host.error(of: tag)?.message == "unsatisfiable request: requests 5 nodes; the instance has 1")
    }

    @Test func allocOfAJobAlreadyKnownIsDenied() throws {
        let host = try schedHost(cluster(1))
        let first = alloc(host, 1)
        #expect(waitForEnd(host, first))
        let again = alloc(host, 1)
        #expect(host.error(of: again)?.errnum == ENOSPC)
        #expect(host.error(of: again)?.message == "unsatisfiable request: job ƒ2 is already known to the scheduler")
    }

    /// A second alloc for a job that is still pending is denied, and the first stream
    /// must still get the job's resources when they come.
    @Test func aDuplicateAllocLeavesTheFirstStreamAlive() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let running = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, running))
        let pending = alloc(host, 2, spec(ntasks: 2))
        #expect(host.settle(timeout: 30) { !host.answers(to: pending).isEmpty })
        let duplicate = alloc(host, 2, spec(ntasks: 2))
        #expect(host.error(of: duplicate)?.errnum == EEXIST)
        host.request(.sched.free, JobRequest(JobID(1)).json)
        // The pass that starts job 2 runs on a zero-delay timer.
        host.settle()
        #expect(kinds(host, pending) == ["annotate", "success", "ENODATA"])
        let status = host.request(.sched.status)
        #expect(host.answer(to: status)?["running"] == 1)
    }

    @Test func cancelEndsAPendingAllocWithACancelResponse() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let running = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, running))
        let pending = alloc(host, 2, spec(ntasks: 2))
        #expect(host.settle(timeout: 30) { !host.answers(to: pending).isEmpty })

        let cancel = host.request(.sched.cancel, JobRequest(JobID(2)).json)
        #expect(host.answer(to: cancel) == [:])
        #expect(kinds(host, pending) == ["annotate", "cancel", "ENODATA"])
        #expect(stream(host, pending).last == .cancel(JobID(2)))
        // The canceled job is gone from the queue: freeing job 1 starts nothing.
        host.request(.sched.free, JobRequest(JobID(1)).json)
        host.settle()
        #expect(kinds(host, pending) == ["annotate", "cancel", "ENODATA"])
        let status = host.request(.sched.status)
        #expect(host.answer(to: status)?["pending"] == 0)
        #expect(host.answer(to: status)?["running"] == 0)
    }

    @Test func cancelOrFreeOfAnUnknownJobIsHarmless() throws {
        let host = try schedHost()
        let cancel = host.request(.sched.cancel, JobRequest(JobID(99)).json)
        let free = host.request(.sched.free, JobRequest(JobID(99)).json)
        #expect(host.answer(to: cancel) == [:] && host.error(of: cancel) == nil)
        #expect(host.answer(to: free) == [:] && host.error(of: free) == nil)
    }

    // MARK: status, hello, prioritize, expiration, feasibility

    @Test func statusCountsPendingAndRunningAndShowsWhatIsAllocated() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let empty = host.request(.sched.status)
        #expect(host.answer(to: empty)?["pending"] == 0)
        #expect(host.answer(to: empty)?["running"] == 0)
        #expect(try ResourceSet(json: #require(host.answer(to: empty)?["allocated"])).isEmpty)

        let running = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, running))
        let pending = alloc(host, 2)
        #expect(host.settle(timeout: 30) { !host.answers(to: pending).isEmpty })
        let busy = host.request(.sched.status)
        #expect(host.answer(to: busy)?["pending"] == 1)
        #expect(host.answer(to: busy)?["running"] == 1)
        let held = try ResourceSet(json: #require(host.answer(to: busy)?["allocated"]))
        #expect(held.ncores == 2 && held.ranks == [0])
    }

    @Test func helloRestoresRunningJobs() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let hello = host.request(.sched.hello, SchedHello(running: [.init(id: JobID(7), R: cluster(1, cores: 2))]).json)
        #expect(host.answer(to: hello) == [:])
        #expect(host.logs.contains { $0.message == "sched: hello: 1 running job(s) restored" })
        let status = host.request(.sched.status)
        #expect(host.answer(to: status)?["running"] == 1)
        // The restored job holds the node: a new job waits until it is freed.
        let pending = alloc(host, 8)
        #expect(host.settle(timeout: 30) { !host.answers(to: pending).isEmpty })
        #expect(kinds(host, pending) == ["annotate"])
        host.request(.sched.free, JobRequest(JobID(7)).json)
        #expect(waitForEnd(host, pending))
        #expect(kinds(host, pending) == ["annotate", "success", "ENODATA"])
    }

    @Test func helloOfResourcesTheInstanceLacksOrAlreadyHeldFails() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let elsewhere = ResourceSet(nodes: [ResourceSet.Node(rank: 3, cores: [0])])
        let lacking = host.request(.sched.hello, SchedHello(running: [.init(id: JobID(5), R: elsewhere)]).json)
        #expect(host.error(of: lacking)?.errnum == ENOENT)
        #expect(host.error(of: lacking)?.message == "job ƒ6: R names rank 3, which this instance lacks")
        let ok = host.request(.sched.hello, SchedHello(running: [.init(id: JobID(6), R: cluster(1, cores: 1))]).json)
        #expect(host.error(of: ok) == nil)
        let twice = host.request(.sched.hello, SchedHello(running: [.init(id: JobID(6), R: cluster(1, cores: 1))]).json)
        #expect(host.error(of: twice)?.errnum == EEXIST)
    }

    @Test func prioritizeMovesAPendingJobAheadOfTheQueue() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let running = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, running))
        let second = alloc(host, 2, spec(ntasks: 2))
        let third = alloc(host, 3, spec(ntasks: 2))
        #expect(host.settle(timeout: 30) { !host.answers(to: second).isEmpty && !host.answers(to: third).isEmpty })

        let prioritize = host.request(.sched.prioritize, SchedPrioritize([(JobID(3), 100)]).json)
        #expect(host.answer(to: prioritize) == [:])
        host.request(.sched.free, JobRequest(JobID(1)).json)
        #expect(waitForEnd(host, third))
        #expect(kinds(host, third).suffix(2) == ["success", "ENODATA"])
        host.settle()
        #expect(!kinds(host, second).contains("success"))
    }

    @Test func expirationMovesARunningJobsEnd() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let running = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, running))
        let pending = alloc(host, 2, spec(ntasks: 2))
        #expect(host.settle(timeout: 30) { lastAnnotation(host, pending)?["t_estimate"] != nil })
        let before = try #require(lastAnnotation(host, pending)?["t_estimate"]?.doubleValue)

        // Job 1 now ends much sooner: job 2's reservation (its estimated start) follows.
        let end = Broker.wallClock() + 100
        #expect(end < before - 100)
        let update = host.request(.sched.expiration, ["id": JobID(1).wire, "expiration": .double(end)])
        #expect(host.answer(to: update) == [:])
        #expect(host.settle(timeout: 30) {
            abs((lastAnnotation(host, pending)?["t_estimate"]?.doubleValue ?? before) - end) < 1
        })
    }

    @Test func expirationOfAJobThatHoldsNothingIsENOENT() throws {
        let host = try schedHost()
        let tag = host.request(.sched.expiration, ["id": 9, "expiration": 100])
        #expect(host.error(of: tag)?.errnum == ENOENT)
        #expect(host.error(of: tag)?.message == "job ƒA holds no resources")
    }

    @Test func anInstanceThatEndsBoundsItsJobs() throws {
        let end = (Broker.wallClock() + 10_000).rounded()
        let host = try schedHost(cluster(1, cores: 2, expiration: end))
        let unlimited = alloc(host, 1)
        let limited = alloc(host, 2, spec(duration: 60))
        #expect(waitForEnd(host, unlimited) && waitForEnd(host, limited))
        #expect(allocated(host, unlimited)?.expiration == end)
        let limitedEnd = try #require(allocated(host, limited)?.expiration)
        #expect(limitedEnd > 0 && limitedEnd < end)

        let never = host.request(.sched.expiration, ["id": 1, "expiration": 0])
        #expect(host.error(of: never)?.errnum == EINVAL)
        #expect(host.error(of: never)?.message == "the instance itself ends at \(end) (Unix time): its jobs cannot outlive it")
        let past = host.request(.sched.expiration, ["id": 1, "expiration": .double(end + 1)])
        #expect(host.error(of: past)?.errnum == EINVAL)
        let within = host.request(.sched.expiration, ["id": 1, "expiration": .double(end - 1)])
        #expect(host.answer(to: within) == [:])
    }

    /// (the jobspec asked about, the errno, the message; errno 0: feasible)
    struct Feasibility: CustomTestStringConvertible, Sendable {
        var name: String
        var payload: JSONValue
        var errnum: Int32
        var message: String?
        var testDescription: String { name }
    }

    static let feasibilities: [Feasibility] = [
        Feasibility(name: "a job that fits", payload: ["jobspec": spec(ntasks: 2)], errnum: 0),
        Feasibility(name: "more nodes than the instance has", payload: ["jobspec": spec(ntasks: 5, nnodes: 5)],
                    errnum: ENOSPC, message: "unsatisfiable request: requests 5 nodes; the instance has 1"),
        Feasibility(name: "more slots than the instance holds", payload: ["jobspec": spec(ntasks: 9)],
                    errnum: ENOSPC, message: "unsatisfiable request: requests 9 slots of 1 core; the instance holds at most 2"),
        Feasibility(name: "no jobspec", payload: [:], errnum: EPROTO, message: "sched.feasibility: missing \"jobspec\""),
        Feasibility(name: "a jobspec that is not one", payload: ["jobspec": ["version": 9]], errnum: EINVAL),
    ]

    /// sched.feasibility is open to guests (fluxs submit asks it before queueing).
    @Test(arguments: feasibilities) func feasibility(_ c: Feasibility) throws {
        let host = try schedHost(cluster(1, cores: 2))
        let tag = host.request(.sched.feasibility, c.payload, userid: 4242, roles: .user)
        #expect(host.answers(to: tag).count == 1)
        #expect(host.error(of: tag)?.errnum ?? 0 == c.errnum)
        if let message = c.message { #expect(host.error(of: tag)?.message == message) }
        if c.errnum == 0 { #expect(host.answer(to: tag) == [:]) }
    }

    // MARK: Malformed requests and guests

    typealias Bad = Refusal

    static let bad: [Bad] = [
        Bad(name: "alloc: not JSON", method: .sched.alloc, raw: "{id: 1", flags: .streaming,
            says: "sched.alloc: payload is not JSON"),
        Bad(name: "alloc: not an object", method: .sched.alloc, raw: "[1]", flags: .streaming,
            says: "sched.alloc: payload must be a JSON object"),
        Bad(name: "alloc: not streaming", method: .sched.alloc, payload: ["id": 1, "jobspec": spec()],
            says: "sched.alloc is a streaming request"),
        Bad(name: "alloc: no id", method: .sched.alloc, payload: ["jobspec": spec()], flags: .streaming,
            says: "missing \"id\" (a job id)"),
        Bad(name: "alloc: an id that is a string", method: .sched.alloc, payload: ["id": "f1", "jobspec": spec()],
            flags: .streaming, says: "missing \"id\" (a job id)"),
        Bad(name: "alloc: no jobspec", method: .sched.alloc, payload: ["id": 1], flags: .streaming,
            says: "missing \"jobspec\""),
        Bad(name: "alloc: a priority that is a string", method: .sched.alloc,
            payload: ["id": 1, "priority": "high", "jobspec": spec()], flags: .streaming,
            says: "\"priority\" must be an integer"),
        Bad(name: "alloc: a priority out of range", method: .sched.alloc,
            payload: ["id": 1, "priority": -1, "jobspec": spec()], flags: .streaming, errnum: EINVAL,
            says: "\"priority\" must be 0 to 4294967295"),
        Bad(name: "alloc: a t_submit that is a string", method: .sched.alloc,
            payload: ["id": 1, "t_submit": "now", "jobspec": spec()], flags: .streaming,
            says: "\"t_submit\" must be a finite number"),
        Bad(name: "alloc: an invalid jobspec", method: .sched.alloc, payload: ["id": 1, "jobspec": ["version": 9]],
            flags: .streaming, errnum: EINVAL, says: "invalid jobspec: "),
        Bad(name: "free: no id", method: .sched.free, says: "missing \"id\" (a job id)"),
        Bad(name: "free: not JSON", method: .sched.free, raw: "1 2", says: "sched.free: payload is not JSON"),
        Bad(name: "cancel: an id that is a float", method: .sched.cancel, payload: ["id": 1.5],
            says: "missing \"id\" (a job id)"),
        Bad(name: "hello: a job without R", method: .sched.hello, payload: ["running": [["id": 1]]],
            says: "sched.hello: each job needs id and R"),
        Bad(name: "hello: a job without id", method: .sched.hello, payload: ["running": [["R": cluster(1).json]]],
            says: "missing \"id\" (a job id)"),
        Bad(name: "hello: an R that is not R", method: .sched.hello, payload: ["running": [["id": 1, "R": ["version": 2]]]],
            says: "sched.hello: job"),
        Bad(name: "prioritize: an entry without priority", method: .sched.prioritize, payload: ["jobs": [[1]]],
            says: "sched.prioritize: each entry must be [id, priority 0-4294967295]"),
        Bad(name: "prioritize: a negative priority", method: .sched.prioritize, payload: ["jobs": [[1, -1]]],
            says: "sched.prioritize: each entry must be [id, priority 0-4294967295]"),
        Bad(name: "prioritize: an id that is a string", method: .sched.prioritize, payload: ["jobs": [["x", 1]]],
            says: "sched.prioritize: each entry must be [id, priority 0-4294967295]"),
        Bad(name: "expiration: no expiration", method: .sched.expiration, payload: ["id": 1],
            says: "sched.expiration: missing \"expiration\""),
        Bad(name: "expiration: a negative one", method: .sched.expiration, payload: ["id": 1, "expiration": -5],
            says: "sched.expiration: missing \"expiration\""),
        Bad(name: "expiration: a string", method: .sched.expiration, payload: ["id": 1, "expiration": "soon"],
            says: "\"expiration\" must be a finite number"),
        Bad(name: "expiration: no id", method: .sched.expiration, payload: ["expiration": 5],
            says: "missing \"id\" (a job id)"),
        Bad(name: "feasibility: not JSON", method: .sched.feasibility, raw: "jobspec",
            says: "sched.feasibility: payload is not JSON"),
        Bad(name: "a method sched lacks", method: ServiceMethod("sched.nosuch"), errnum: ENOSYS,
            says: "sched has no method \"nosuch\""),
    ]

    @Test(arguments: bad) func malformedRequests(_ c: Bad) throws {
        let host = try schedHost()
        let tag = host.request(c.method, c.payload, raw: c.raw.map { Array($0.utf8) }, flags: c.flags)
        #expect(host.answers(to: tag).count == 1)
        let error = host.error(of: tag)
        #expect(error?.errnum == c.errnum)
        #expect(error?.message.contains(c.says) == true, "\(error?.message ?? "no error")")
        // Nothing was queued or started.
        host.settle()
        let status = host.request(.sched.status)
        #expect(host.answer(to: status)?["pending"] == 0 && host.answer(to: status)?["running"] == 0)
    }

    /// Fields of the wrong type that the codecs (SchedMessages.swift) take as absent.
    static let wrongTypes: [Bad] = [
        Bad(name: "hello: running that is not an array", method: .sched.hello, payload: ["running": "all"],
            says: "running"),
        Bad(name: "prioritize: jobs that is not an array", method: .sched.prioritize, payload: ["jobs": 5],
            says: "jobs"),
    ]

    @Test(arguments: wrongTypes) func wrongTypesAreEPROTO(_ c: Bad) throws {
        let host = try schedHost()
        let tag = host.request(c.method, c.payload)
        #expect(host.answers(to: tag).count == 1)
        #expect(host.error(of: tag)?.errnum == EPROTO)
        #expect(host.error(of: tag)?.message.contains(c.says) == true)
    }

    static let ownerOnly: [ServiceMethod] = [
        .sched.hello, .sched.alloc, .sched.free, .sched.cancel, .sched.expiration, .sched.prioritize, .sched.status,
    ]

    @Test(arguments: ownerOnly) func guestsMayNotCallOwnerMethods(_ method: ServiceMethod) throws {
        let host = try schedHost()
        let payload: JSONValue = ["id": 1, "jobspec": spec(), "expiration": 5, "jobs": [[1, 20]], "running": []]
        let tag = host.request(method, payload, userid: 4242, roles: .user, flags: method == .sched.alloc ? .streaming : [])
        #expect(host.answers(to: tag).count == 1)
        #expect(host.error(of: tag)?.errnum == EPERM)
        #expect(host.error(of: tag)?.message == "\(method.topic) is for the instance owner")
        // The same request from the owner gets past the frame.
        let owner = host.request(method, payload, flags: method == .sched.alloc ? .streaming : [])
        host.settle()
        #expect(host.answers(to: owner).first.map { $0.errnum != EPERM } == true)
    }

    // MARK: Before the instance's R is known

    @Test func requestsWaitUntilResourceRAnswers() throws {
        let host = try EmbeddedModuleHost()
        host.serve(.resource.status) { [unowned host] in host.reply(to: $0, allUp) }
        try host.load(SchedModule.self)
        #expect(host.sent(.resource.R).count == 1)

        let status = host.request(.sched.status)
        let feasible = host.request(.sched.feasibility, ["jobspec": spec()], roles: .user)
        let job = alloc(host, 1)
        let malformed = host.request(.sched.free, ["id": "x"])
        // The frame still answers what it checks itself, at once.
        let guest = host.request(.sched.status, roles: .user)
        let garbage = host.request(.sched.status, raw: Array("nope".utf8))
        host.settle()
        for tag in [status, feasible, job, malformed] { #expect(host.answers(to: tag).isEmpty) }
        #expect(host.error(of: guest)?.errnum == EPERM)
        #expect(host.error(of: garbage)?.errnum == EPROTO)

        host.reply(to: host.sent(.resource.R)[0], cluster(1).json)
        #expect(host.logs.contains { $0.message == "sched: ready: 1 nodes, 2 cores, 0 gpus" })
        #expect(host.answer(to: status)?["running"] == 0)
        #expect(host.answer(to: feasible) == [:] && host.error(of: feasible) == nil)
        #expect(host.error(of: malformed)?.errnum == EPROTO)
        #expect(waitForEnd(host, job))
        #expect(kinds(host, job) == ["success", "ENODATA"])
    }

    /// When resource.R fails, the module logs it; the requests it parked should not wait forever.
    @Test func aFailedResourceRIsLoggedRefusedAndAskedAgain() throws {
        let host = try EmbeddedModuleHost()
        var fail = true
        host.serve(.resource.R) { [unowned host] in
            if fail { host.reply(to: $0, error: ServiceError(ENOSYS, "no service")) } else { host.reply(to: $0, cluster(1).json) }
        }
        host.serve(.resource.status) { [unowned host] in host.reply(to: $0, allUp) }
        try host.load(SchedModule.self)
        defer { host.unload() }
        #expect(host.logs.contains { $0.level == .err && $0.message == "sched: cannot get the instance's R: no service" })
        let job = alloc(host, 1)
        #expect(host.answers(to: job).count == 1)
        #expect(host.error(of: job)?.errnum == EAGAIN)
        #expect(host.error(of: job)?.message.contains("no service") == true)
        // Asked again a second later: once R comes, requests are served.
        fail = false
        #expect(host.settle(timeout: 30) { host.sent(.resource.R).count >= 2 })
        let later = alloc(host, 2)
        #expect(host.settle(timeout: 30) { host.answers(to: later).contains { $0.errnum == 0 } })
    }

    // MARK: Events

    @Test func subscribesToTheResourceEvents() throws {
        let host = try schedHost()
        for topic in ["resource.drain", "resource.undrain", "resource.up", "overlay.lost"] {
            #expect(host.subscriptions.contains(topic))
        }
    }

    @Test(arguments: ["resource.drain", "resource.undrain", "resource.up", "overlay.lost"])
    func eachResourceEventRefreshesAvailability(_ topic: String) throws {
        let host = try schedHost()
        #expect(host.sent(.resource.status).count == 1)
        host.event(topic, ["ranks": "0"])
        #expect(host.sent(.resource.status).count == 2)
    }

    @Test func drainedAndDownRanksAreNotAllocatedUntilTheyReturn() throws {
        var status = allUp
        let host = try EmbeddedModuleHost()
        host.serve(.resource.R) { [unowned host] in host.reply(to: $0, cluster(1).json) }
        host.serve(.resource.status) { [unowned host] in host.reply(to: $0, status) }
        try host.load(SchedModule.self)

        status = ["down": "", "drained": ["0": ["reason": "maintenance", "timestamp": 1.0]]]
        host.event("resource.drain", ["ranks": "0", "reason": "maintenance"])
        let first = alloc(host, 1)
        #expect(host.settle(timeout: 30) { !host.answers(to: first).isEmpty })
        #expect(kinds(host, first) == ["annotate"])
        #expect(lastAnnotation(host, first)?["reason_pending"] == "only down or drained nodes could run it")

        status = allUp
        host.event("resource.undrain", ["ranks": "0"])
        #expect(waitForEnd(host, first))
        #expect(kinds(host, first) == ["annotate", "success", "ENODATA"])

        // Down (lost by the overlay) works the same way; resource.up brings it back.
        status = ["down": "0", "drained": [:]]
        host.event("overlay.lost", ["ranks": "0"])
        let second = alloc(host, 2)
        #expect(host.settle(timeout: 30) { !host.answers(to: second).isEmpty })
        #expect(lastAnnotation(host, second)?["reason_pending"] == "only down or drained nodes could run it")
        status = allUp
        host.event("resource.up", ["ranks": "0"])
        #expect(waitForEnd(host, second))
        #expect(kinds(host, second).suffix(2) == ["success", "ENODATA"])
    }

    @Test func aLostRankRaisesNodeFailureOnTheJobsThatUseIt() throws {
        let host = try schedHost(cluster(2, cores: 2))
        let onRank0 = alloc(host, 1, spec(ntasks: nil, nnodes: 1))
        #expect(waitForEnd(host, onRank0))
        let onRank1 = alloc(host, 2, spec(ntasks: nil, nnodes: 1))
        #expect(waitForEnd(host, onRank1))
        #expect(allocated(host, onRank0)?.ranks == [0])
        #expect(allocated(host, onRank1)?.ranks == [1])

        host.event("overlay.lost", ["ranks": "1"])
        let raised = host.sent(.jobManager.raise)
        #expect(raised.count == 1)
        let raise = try JobRaise(json: JSONValue(parsing: try #require(raised.first).payload))
        #expect(raise == JobRaise(id: JobID(2), type: "node-failure", note: "the job lost rank 1: the broker there is gone"))
        // A failed raise is logged.
        host.reply(to: try #require(raised.first), error: ServiceError(ENOENT, "unknown job"))
        #expect(host.logs.contains { $0.level == .err && $0.message.contains("cannot raise node-failure on job ƒ3") })
    }

    // MARK: Settings and stopping

    /// (attributes, whether load succeeds)
    struct Setting: CustomTestStringConvertible, Sendable {
        var attributes: [String: String]
        var loads: Bool
        var testDescription: String { attributes.map { "\($0)=\($1)" }.joined(separator: " ") }
    }

    static let settings: [Setting] = [
        Setting(attributes: ["sched.queue-policy": "fcfs"], loads: true),
        Setting(attributes: ["sched.queue-policy": "conservative"], loads: true),
        Setting(attributes: ["sched.queue-policy": "hybrid:4"], loads: true),
        Setting(attributes: ["sched.match-policy": "best-exclusive"], loads: true),
        Setting(attributes: ["sched.queue-policy": "lifo"], loads: false),
        Setting(attributes: ["sched.queue-policy": "hybrid:0"], loads: false),
        Setting(attributes: ["sched.match-policy": "worst"], loads: false),
    ]

    @Test(arguments: settings) func queueAndMatchPolicies(_ c: Setting) throws {
        var failure: ServiceError?
        do { _ = try schedHost(attributes: c.attributes) } catch let error as ServiceError { failure = error }
        if c.loads {
            #expect(failure == nil)
        } else {
            #expect(failure?.errnum == EINVAL)
            #expect(failure?.message.contains(c.attributes.values.first!) == true)
        }
    }

    @Test func fcfsKeepsLaterJobsBehindABlockedOne() throws {
        let host = try schedHost(cluster(1, cores: 2), attributes: ["sched.queue-policy": "fcfs"])
        let running = alloc(host, 1)
        #expect(waitForEnd(host, running))
        let big = alloc(host, 2, spec(ntasks: 2))
        let small = alloc(host, 3)
        #expect(host.settle(timeout: 30) { !host.answers(to: big).isEmpty && !host.answers(to: small).isEmpty })
        // A core is free, but fcfs does not let job 3 pass job 2.
        #expect(kinds(host, small) == ["annotate"])
        #expect(lastAnnotation(host, small)?["reason_pending"] == "behind job ƒ3 (fcfs)")
    }

    @Test func stoppingEndsOpenStreamsAndParkedRequestsWithECANCELED() throws {
        let host = try schedHost(cluster(1, cores: 2))
        let running = alloc(host, 1, spec(ntasks: 2))
        #expect(waitForEnd(host, running))
        let pending = alloc(host, 2, spec(ntasks: 2))
        #expect(host.settle(timeout: 30) { !host.answers(to: pending).isEmpty })
        host.unload()
        #expect(kinds(host, pending) == ["annotate", "ECANCELED"])
        #expect(host.error(of: pending)?.message == "the scheduler is stopping")

        let parkedHost = try EmbeddedModuleHost()
        try parkedHost.load(SchedModule.self)
        let parked = parkedHost.request(.sched.status)
        #expect(parkedHost.answers(to: parked).isEmpty)
        parkedHost.unload()
        #expect(parkedHost.error(of: parked)?.errnum == ECANCELED)
    }
}
