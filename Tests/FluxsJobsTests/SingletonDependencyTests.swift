// The `singleton` dependency (flux-core's dependency-singleton plugin): one active job per
// user and given name past DEPEND, waiters released first come first served, no events
// for a job that need not wait, a name required, other users and names independent,
// canceled waiters and restarts.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

struct SingletonDependencyTests {
    /// A summary named `name` (given, as --job-name does) with a singleton dependency when `singleton`.
    private func named(_ name: String, singleton: Bool = true) -> JobSummary {
        var summary = JobSummary(name: name, dependencies: singleton ? [JobspecDependency(scheme: "singleton", value: "")] : [])
        summary.nameGiven = true
        return summary
    }

    @Test func oneAtATimeInOrder() {
        var h = Harness()
        let (a, _) = h.submit(named("build"))
        #expect(h.state(a) == .sched)
        #expect(!h.names(a).contains("dependency-add"))      // nothing to wait for: no events, as Flux
        let (b, _) = h.submit(named("build"))
        let (c, _) = h.submit(named("build"))
        #expect(h.state(b) == .depend && h.state(c) == .depend)
        #expect(h.core.record(b)?.dependencies == ["singleton"])
        h.runToEnd(a)
        #expect(h.state(b) == .sched && h.state(c) == .depend)
        #expect(h.names(b).contains("dependency-remove"))
        h.runToEnd(b)
        #expect(h.state(c) == .sched)
        for id in [a, b, c] { #expect(h.replayMatches(id)) }
    }

    @Test func anyActiveJobOfTheNameBlocks() {
        var h = Harness()
        let (plain, _) = h.submit(named("x", singleton: false))
        let (other, _) = h.submit(named("y"))
        let (guestJob, _) = h.submit(named("x"), by: guest)
        let (waiter, _) = h.submit(named("x"))
        #expect(h.state(other) == .sched && h.state(guestJob) == .sched)
        #expect(h.state(waiter) == .depend)
        // A job named after its command (no --job-name) does not count.
        var unnamed = JobSummary(name: "x")
        unnamed.nameGiven = false
        let (free, _) = h.submit(unnamed)
        #expect(h.state(free) == .sched)
        h.runToEnd(plain)
        #expect(h.state(waiter) == .sched)
    }

    @Test func canceledWaiterPassesItsTurn() {
        var h = Harness()
        let (a, _) = h.submit(named("n"))
        let (b, _) = h.submit(named("n"))
        let (c, _) = h.submit(named("n"))
        h.cancel(b)
        #expect(h.state(b) == .inactive && h.state(c) == .depend)
        h.runToEnd(a)
        #expect(h.state(c) == .sched)
    }

    @Test func nameIsRequired() {
        var core = JobManagerCore()
        let summary = JobSummary(name: "sleep", dependencies: [JobspecDependency(scheme: "singleton", value: "")])
        #expect(core.submit(1, id: JobID(1), summary: summary, by: owner, at: 1)
                == [.respond(1, .error(ServiceError(EINVAL, "singleton jobs require a job name")))])
    }

    @Test func restartKeepsWaiting() {
        var h = Harness()
        let (a, _) = h.submit(named("r"))
        let (b, _) = h.submit(named("r"))
        let (c, _) = h.submit(named("r"))
        let records = [a, b, c].map { id in try! JobRecord(replaying: h.logs[id]!, id: id, summary: h.summaries[id]!) }
        var (core, _) = JobManagerCore.restore(records, at: h.now + 1)
        #expect(core.record(b)?.state == .depend && core.record(c)?.state == .depend)
        _ = core.cancel(99, id: a, note: "", by: owner, at: h.now + 2)
        _ = core.on(.allocCanceled(a), at: h.now + 3)
        #expect(core.record(a)?.state == .inactive)
        #expect(core.record(b)?.state == .sched && core.record(c)?.state == .depend)
    }

    @Test func uriOptionsAreKept() throws {
        let dependency = try JobspecDependency(uri: "afterok:ƒ2?tag=a&n=3&x=1.5&n=4&blank=&bare")
        #expect(dependency.scheme == "afterok" && dependency.value == "ƒ2")
        #expect(dependency.options == ["tag": "a", "n": [3, 4], "x": 1.5])
        #expect(dependency.json == ["scheme": "afterok", "value": "ƒ2", "tag": "a", "n": [3, 4], "x": 1.5])
        #expect(try JobspecDependency(uri: "singleton") == JobspecDependency(scheme: "singleton", value: ""))
        #expect(try JobspecDependency(uri: "begin-time:1700000000.5#frag").value == "1700000000.5")
        #expect(try JobspecDependency(uri: "a:b?k=one+two%21").options == ["k": "one two!"])
        #expect(throws: ParseError("Invalid dependency URI \"1x:2\"")) { try JobspecDependency(uri: "1x:2") }
        #expect(throws: ParseError("Invalid dependency URI \":2\"")) { try JobspecDependency(uri: ":2") }
        var spec = try JobspecRequest(command: ["true"]).build()
        try spec.setAttribute("system.dependencies", [["scheme": "afterany", "value": "ƒ2", "tag": "a"]])
        #expect(spec.dependencies == [JobspecDependency(scheme: "afterany", value: "ƒ2", options: ["tag": "a"])])
    }
}
