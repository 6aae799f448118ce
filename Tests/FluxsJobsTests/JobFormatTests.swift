// The named formats with their headers, job fields, job selection and --json (the format
// engine itself is tested in FluxsFormatsTests/OutputFormatTests.swift).
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

struct JobFormatTests {
    @Test func badFormats() {
        #expect(throws: ServiceError(EINVAL, "format \"{x\": missing \"}\"")) { try JobFormat("{x") }
        #expect(throws: ServiceError(EINVAL, "format: unknown field \"bogus\"")) { try JobFormat("{id} {bogus}") }
        #expect(throws: ServiceError(EINVAL, "--format: No such format nope")) { try JobFormat("nope") }
    }

    /// Three jobs: one running on node[0], one held, one completed.
    static func jobs() -> (Harness, [JobID]) {
        var h = Harness()
        let (run, _) = h.submit(JobSummary(name: "averylongjobname", ntasks: 4, nnodes: 1))
        let (held, _) = h.submit(JobSummary(name: "held", ntasks: 2, duration: 300), urgency: 0)
        let (done, _) = h.submit(JobSummary(name: "done"))
        h.runToEnd(done, host: "node1")
        h.on(.allocated(run, node(0, "node0"), annotations: [:]))
        h.on(.started(run))
        return (h, [run, held, done])
    }

    @Test func defaultListing() throws {
        var (h, ids) = Self.jobs()
        h.tick(60)
        var query = JobListQuery()
        query.includeAll()
        let records = query.select(h.core.records)
        #expect(records.map(\.id) == [ids[1], ids[0], ids[2]])
        let lines = try JobFormat("default").lines(records, now: h.now, username: { $0 == 100 ? "alice" : nil })
        let f58 = ids.map { $0.formatted(.f58) }
        #expect(lines == [
            "       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO",
            String(repeating: " ", count: 12 - f58[1].count) + f58[1] + " alice    held        S      2      -       5m held",
            String(repeating: " ", count: 12 - f58[0].count) + f58[0] + " alice    averylong+  R      4      1   1.017m node0",
            String(repeating: " ", count: 12 - f58[2].count) + f58[2] + " alice    done       CD      1      1   2.000s node1",
        ])
    }

    @Test func namedFormatsParse() throws {
        let (h, _) = Self.jobs()
        for name in ["default", "long", "deps"] {
            let lines = try JobFormat(name).lines(h.core.records, now: h.now)
            #expect(lines.count == 4)
        }
        let deps = try JobFormat("deps").lines(h.core.records, now: h.now)
        #expect(deps[0] == "       JOBID NAME       URG PRI          STATE    DEPENDENCIES")
    }

    @Test func otherFields() throws {
        let (h, ids) = Self.jobs()
        let done = h.core.record(ids[2])!
        let format = try JobFormat("{id.dec} {state_single} {result} {result_abbrev} {returncode} {success} "
            + "{exception.occurred} {ranks} {status} {inactive_reason} {userid} {urgency} {priority}")
        let line = format.lines([done], header: false, now: h.now)[0]
        #expect(line == "\(ids[2].value) I COMPLETED CD 0 True False 0 COMPLETED Exit 0 100 16 16")
    }

    /// The job manager's listing walks inactive jobs newest first and stops early; it
    /// lists what sorting every record lists, for counts, filters, ties and `since`.
    @Test func listingMatchesSortingEverything() throws {
        var h = Harness()
        var ids: [JobID] = []
        for i in 0..<40 {
            let (id, _) = h.submit(JobSummary(name: i % 3 == 0 ? "a" : "b"), urgency: i % 5 == 0 ? 0 : 16,
                                   by: i % 4 == 1 ? guest : owner)
            ids.append(id)
            if i % 5 != 0 && i % 7 != 0 { h.runToEnd(id, status: Int32(i % 2)) }
            if i % 4 == 0 { h.tick() }  // the others end at the same time as their neighbours
        }
        var queries: [JobListQuery] = []
        for count in [0, 1, 3, 10, 25, 1000] {
            var all = JobListQuery()
            all.includeAll()
            all.count = count
            queries.append(all)
            var named = all
            named.name = "a"
            queries.append(named)
            var failed = try JobListQuery(filter: "failed")
            failed.count = count
            queries.append(failed)
            var recent = all
            recent.since = h.now - 3
            queries.append(recent)
            var active = JobListQuery()
            active.count = count
            queries.append(active)
            for userid in [guest.userid, owner.userid, 7] {
                var mine = all
                mine.userid = userid
                queries.append(mine)
            }
        }
        for query in queries {
            #expect(h.core.listing(query)?.map(\.id) == query.select(h.core.records).map(\.id), "\(query)")
        }
        var picked = JobListQuery()
        picked.ids = [ids[3], ids[0], JobID(1)]
        #expect(h.core.listing(picked)?.map(\.id) == [ids[3], ids[0]])
        // A walk longer than the budget gives up (the caller lists from a snapshot).
        var sparse = JobListQuery()
        sparse.includeAll()
        sparse.name = "nobody"
        #expect(h.core.listing(sparse, budget: 5) == nil)
        #expect(h.core.listing(JobListQuery(), budget: 2) == nil)  // more active jobs than that
        // Purged jobs leave their user's walk too.
        _ = h.core.purge(countLimit: 3, at: h.now)
        for userid in [guest.userid, owner.userid] {
            var mine = JobListQuery()
            mine.includeAll()
            mine.userid = userid
            #expect(h.core.listing(mine)?.map(\.id) == mine.select(h.core.records).map(\.id))
            // And after a restart, which rebuilds the walks from the records.
            let (restored, _) = JobManagerCore.restore(h.core.records, at: h.now)
            #expect(restored.listing(mine)?.map(\.id) == mine.select(h.core.records).map(\.id))
        }
        #expect(h.core.listing(sparse)?.isEmpty == true)
    }

    @Test func querySelection() throws {
        let (h, ids) = Self.jobs()
        var query = try JobListQuery(filter: "completed")
        #expect(query.select(h.core.records).map(\.id) == [ids[2]])
        query = try JobListQuery(filter: "pending")
        #expect(query.select(h.core.records).map(\.id) == [ids[1]])
        query = JobListQuery()
        query.includeAll()
        query.count = 2
        #expect(query.select(h.core.records).count == 2)
        query.count = 0
        query.since = h.now
        #expect(query.select(h.core.records).map(\.id) == [ids[1], ids[0]])
        query.userid = 7
        #expect(query.select(h.core.records).isEmpty)
        query.ids = [ids[2]]
        #expect(query.select(h.core.records).map(\.id) == [ids[2]])
    }

    @Test func jsonOutput() throws {
        let (h, ids) = Self.jobs()
        let json = JobListQuery.json([h.core.record(ids[2])!], now: h.now)
        let job = json["jobs"]?.arrayValue?.first
        #expect(job?["id"] == .int(Int64(ids[2].value)))
        #expect(job?["result"] == "COMPLETED")
        #expect(job?["state"] == "INACTIVE")
        #expect(job?["nodelist"] == "node1")
        #expect(job?["exception"] == ["occurred": false])
        #expect(job?["t_run"] != nil && job?["waitstatus"] == 0)
        let held = h.core.record(ids[1])!.json(now: h.now)
        #expect(held["t_run"] == nil && held["result"] == nil && held["priority"] == 0)
    }
}
