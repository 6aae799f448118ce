// State, result and status names and abbreviations; virtual-state masks; filters.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

struct JobStateTests {
    @Test(arguments: [
        (JobState.new, "NEW", "N", 1), (.depend, "DEPEND", "D", 2), (.priority, "PRIORITY", "P", 4),
        (.sched, "SCHED", "S", 8), (.run, "RUN", "R", 16), (.cleanup, "CLEANUP", "C", 32),
        (.inactive, "INACTIVE", "I", 64),
    ] as [(JobState, String, String, UInt32)])
    func stateNames(state: JobState, name: String, abbrev: String, bit: UInt32) {
        #expect(state.name == name)
        #expect(state.abbreviation == abbrev)
        #expect(state.rawValue == bit)
        #expect(JobState(name: name.lowercased()) == state)
        #expect(JobState(name: abbrev) == state)
    }

    @Test(arguments: [
        (JobResult.completed, "COMPLETED", "CD"), (.failed, "FAILED", "F"), (.canceled, "CANCELED", "CA"),
        (.timeout, "TIMEOUT", "TO"),
    ] as [(JobResult, String, String)])
    func resultNames(result: JobResult, name: String, abbrev: String) {
        #expect(result.name == name)
        #expect(result.abbreviation == abbrev)
        #expect(JobResult(name: abbrev.lowercased()) == result)
        #expect(JobStatus.result(result).abbreviation == abbrev)
    }

    @Test func virtualStates() {
        #expect(JobState.allCases.filter(\.isPending) == [.depend, .priority, .sched])
        #expect(JobState.allCases.filter(\.isRunning) == [.run, .cleanup])
        #expect(JobStateMask.active.rawValue == 62)
        #expect(!JobStateMask.active.contains(.inactive))
        #expect(JobStateMask.inactive.contains(.inactive))
        #expect(JobStatus.state(.sched).name == "SCHED")
    }

    @Test func filters() throws {
        var query = try JobListQuery(filter: "running,failed")
        #expect(query.states == .running)
        #expect(query.results == JobResultMask(.failed))
        query = try JobListQuery(filter: "pending,sched,Inactive")
        #expect(query.states == [.pending, .inactive])
        #expect(throws: ServiceError(EINVAL, "invalid filter specified: bogus")) {
            try JobListQuery(filter: "run,bogus")
        }
        #expect(JobListQuery().states == .active)
    }

    @Test func nameQueueIncludeAndStats() throws {
        let running = try JobRecord(replaying: entries(upTo: .run), id: JobID(1), summary: JobSummary(name: "a", queue: "batch"))
        let pending = try JobRecord(replaying: entries(upTo: .sched), id: JobID(2), summary: JobSummary(name: "b", queue: "debug"))
        let done = try JobRecord(replaying: entries(upTo: .inactive), id: JobID(3), summary: JobSummary(name: "a"))
        let all = [running, pending, done]
        var query = JobListQuery()
        query.includeAll()
        query.name = "a"
        #expect(Set(query.select(all).map(\.id)) == [JobID(1), JobID(3)])
        query.name = nil
        query.queues = ["debug", ""]
        #expect(Set(query.select(all).map(\.id)) == [JobID(2), JobID(3)])
        query.queues = nil
        query.ranks = IDSet([0])
        #expect(query.select(all).isEmpty)  // none has resources here; pending jobs never do
        let stats = JobListStats(all, purged: 2)
        #expect(stats.running == 1 && stats.pending == 1 && stats.successful == 1 && stats.failed == 0)
        #expect(stats.inactivePurged == 2 && stats.active == 2)
        #expect(JobListStats(all, queues: ["batch"]).active == 1)
        #expect(stats.json["inactive_purged"] == 2)
    }

    @Test func urgencyWordsAndPriority() {
        #expect(JobUrgency.parse("hold") == 0)
        #expect(JobUrgency.parse("EXPEDITE") == 31)
        #expect(JobUrgency.parse("default") == 16)
        #expect(JobUrgency.parse("32") == nil)
        #expect(JobPriority.of(urgency: 0) == 0)
        #expect(JobPriority.of(urgency: 1) == 1)
        #expect(JobPriority.of(urgency: 30) == 30)
        #expect(JobPriority.of(urgency: 31) == UInt32.max)
    }
}
