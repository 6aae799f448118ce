// Tests of the Standard Workload Format reader: the fixture, comments and header fields,
// -1 as unknown, every error message, and the mapping of a trace job to a simulated job.
import FluxsMessage
import Testing
@testable import FluxsSched

@Suite struct SWFTraceTests {
    @Test func readsTheFixture() throws {
        let trace = try SWFTrace(parsing: try fixtureText("tiny.swf"))
        #expect(trace.jobs.count == 50)
        #expect(trace.header["MaxProcs"] == "64")
        #expect(trace.header["Computer"] == "fluxs test fixture (hand-made, 64 processors)")
        #expect(trace.maxProcessors == 64)
        #expect(trace.jobs.map(\.number) == Array(1...50))
        #expect(zip(trace.jobs, trace.jobs.dropFirst()).allSatisfy { $0.submitTime <= $1.submitTime })
        #expect(try SWFTrace(parsing: try fixtureText("tiny.swf"), limit: 7).jobs.count == 7)
    }

    @Test func readsEveryFieldAndMinusOneAsUnknown() throws {
        let text = """
            ; Version: 2.2
            ;   MaxNodes:   128\r
            \t
              1 0 5 100 4 90.5 1024 8 3600 2048 1 3 2 7 1 2 -1 -1
            2\t10\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1\t-1
            """
        let trace = try SWFTrace(parsing: text)
        #expect(trace.header == ["Version": "2.2", "MaxNodes": "128"])
        #expect(trace.maxProcessors == 128)
        var first = SWFJob(number: 1, submitTime: 0)
        (first.waitTime, first.runTime, first.allocatedProcessors, first.averageCPUTime) = (5, 100, 4, 90.5)
        (first.usedMemory, first.requestedProcessors, first.requestedTime, first.requestedMemory) = (1024, 8, 3600, 2048)
        (first.status, first.userID, first.groupID, first.executable, first.queue, first.partition) = (1, 3, 2, 7, 1, 2)
        #expect(trace.jobs == [first, SWFJob(number: 2, submitTime: 10)])
    }

    @Test(arguments: [
        ("1 0 5", "swf line 1: expected 18 fields, found 3"),
        ("; c\n1 0 -1 10 1 -1 -1 1 10 -1 1 1 1 1 1 -1 -1 -1 7", "swf line 2: expected 18 fields, found 19"),
        ("1 0 -1 1x 1 -1 -1 1 10 -1 1 1 1 1 1 -1 -1 -1", #"swf line 1: run time "1x" is not a number"#),
        ("1 0 -1 10 1 -1 -1 - 10 -1 1 1 1 1 1 -1 -1 -1", #"swf line 1: requested processors "-" is not a number"#),
        ("1 -1 -1 10 1 -1 -1 1 10 -1 1 1 1 1 1 -1 -1 -1", "swf line 1: the submit time must be known and >= 0"),
        ("1.5 0 -1 10 1 -1 -1 1 10 -1 1 1 1 1 1 -1 -1 -1", "swf line 1: the job number must be a whole number >= 0"),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: ServiceError(22, message)) { try SWFTrace(parsing: text) }
    }

    @Test func mapsTraceJobsToSimulatedJobs() throws {
        var job = SWFJob(number: 9, submitTime: 30)
        (job.runTime, job.allocatedProcessors, job.requestedTime) = (500, 16, 400)
        let simulated = try #require(job.simulatedJob)
        #expect(simulated.id == 9 && simulated.submitTime == 30)
        #expect(simulated.runTime == 400)  // cut at the time limit
        #expect(simulated.request == ResourceRequest(nnodes: nil, nslots: 16, coresPerSlot: 1, duration: 400))
        job.requestedProcessors = 8
        job.requestedTime = nil
        #expect(job.simulatedJob?.request.nslots == 8)
        #expect(job.simulatedJob?.request.duration == 500)
        job.runTime = nil
        #expect(job.simulatedJob == nil)
    }
}
