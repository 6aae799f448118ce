// The format engine (widths, precision, the "+" marker, alignment, h, ?:, conversions),
// the named formats with their headers, job selection and --json.
import FluxsFormats
import FluxsJobs
import FluxsMessage
import Glibc
import Testing

func render(_ format: String, _ value: FieldValue) throws -> String {
    try OutputFormat(format).render([value], header: false, heading: { $0 }, value: { row, _ in row })[0]
}

struct JobFormatTests {
    @Test(arguments: [
        ("{x:<6}", FieldValue.text("ab"), "ab"), ("[{x:<6}]", .text("ab"), "[ab    ]"), ("[{x:>6}]", .text("ab"), "[    ab]"),
        ("[{x:^6}]", .text("ab"), "[  ab  ]"), ("[{x:*^7}]", .text("ab"), "[**ab***]"), ("[{x:6}]", .int(42), "[    42]"),
        ("[{x:6}]", .text("ab"), "[ab    ]"), ("[{x:06}]", .int(42), "[000042]"), ("[{x:<4.4}]", .text("abcdefgh"), "[abcd]"),
        ("[{x:<10.10+}]", .text("averylongjobname"), "[averylong+]"), ("[{x:<10.10+}]", .text("short"), "[short     ]"),
        ("[{x:>6h}]", .none, "[     -]"), ("[{x:>6h}]", .text("0s"), "[     -]"), ("[{x:>6h}]", .int(3), "[     3]"),
        ("[{x:.2f}]", .real(3.14159), "[3.14]"), ("[{x!F:>8h}]", .real(90), "[    1.5m]"), ("[{x!F}]", .real(14.3125), "[14.31s]"), ("[{x!F}]", .real(7200), "[2h]"), ("[{x!F:>8h}]", .real(0), "[       -]"),
        ("[{x!H}]", .real(3725), "[1:02:05]"), ("{{{x}}}", .text("v"), "{v}"), ("[{x}]", .real(2), "[2.0]"),
        ("[{x:>3}]", .text("toolong"), "[toolong]"),
    ] as [(String, FieldValue, String)])
    func fieldSpecs(format: String, value: FieldValue, expected: String) throws {
        #expect(try render(format, value) == expected)
    }

    @Test func badFormats() {
        #expect(throws: ServiceError.self) { try OutputFormat("{x") }
        #expect(throws: ServiceError.self) { try OutputFormat("x}") }
        #expect(throws: ServiceError.self) { try OutputFormat("{x!Z}") }
        #expect(throws: ServiceError.self) { try OutputFormat("{x:<5q}") }
        #expect(throws: ServiceError(EINVAL, "format: unknown field \"bogus\"")) { try JobFormat("{id} {bogus}") }
        #expect(throws: ServiceError(EINVAL, "--format: No such format nope")) { try JobFormat("nope") }
    }

    @Test func optionalColumnsDisappearWhenBlank() throws {
        let format = try OutputFormat("{a:>3} ?:{b:<5} {c}")
        let rows: [[String: FieldValue]] = [["a": .int(1), "b": .text(""), "c": .text("x")]]
        let lines = format.render(rows, heading: { $0.uppercased() }, value: { $0[$1] ?? .none })
        #expect(lines == ["  A C", "  1 x"])
        let full = format.render(rows + [["a": .int(2), "b": .text("q"), "c": .text("y")]],
                                 heading: { $0.uppercased() }, value: { $0[$1] ?? .none })
        #expect(full == ["  A B     C", "  1       x", "  2 q     y"])
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
