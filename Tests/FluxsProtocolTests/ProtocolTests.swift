// The protocol's catalog, codecs, job keys, job id wire form and exit status.
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ServiceMethodTests {
    @Test func everyTopicIsListedOnceAndNamesItsService() {
        let all = ServiceMethod.everyMethod
        #expect(Set(all.map(\.topic)).count == all.count)
        for method in all {
            #expect(method.topic.split(separator: ".").count == 2, "\(method)")
            #expect(ServiceMethod.catalog[method.topic] == method)
        }
    }

    @Test func accessFollowsRoles() {
        #expect(ServiceMethod.kvs.get.allows(.owner))
        #expect(ServiceMethod.kvs.get.allows(.user))
        #expect(!ServiceMethod.kvs.namespaceCreate.allows(.user))
        #expect(!ServiceMethod.kvs.get.allows([]))
        #expect(ServiceMethod.module.load.allows(.owner))
    }

    @Test func lookupOfUnknownTopicsIsOwnerOnlyExceptDisconnect() {
        #expect(ServiceMethod.lookup("myservice.go").access == .owner)
        #expect(ServiceMethod.lookup("myservice.disconnect").access == .guest)
        #expect(ServiceMethod.lookup("kvs.get") == .kvs.get)
    }

    @Test func rankZeroMethods() {
        #expect(ServiceMethod.event.pub.placement == .rank0)
        #expect(ServiceMethod.resource.drain.placement == .rank0)
        #expect(ServiceMethod.jobExec.launch.placement == .anyRank)
    }
}

@Suite struct JobIDWireTests {
    @Test func idsAboveInt64MaxRoundTrip() throws {
        for value: UInt64 in [0, 1, UInt64(Int64.max), UInt64(Int64.max) + 1, .max] {
            let id = JobID(value)
            let text = id.wire.compactText
            #expect(JobID(wire: try JSONValue(parsing: text)) == id)
        }
        #expect(JobID(wire: "12") == nil)
    }
}

@Suite struct ExitStatusTests {
    @Test func waitStatusRoundTrips() {
        for status: FluxsProtocol.ExitStatus in [.exited(0), .exited(1), .exited(130), .exited(255), .signaled(2), .signaled(9), .signaled(64)] {
            #expect(FluxsProtocol.ExitStatus(waitStatus: status.waitStatus) == status)
        }
        #expect(FluxsProtocol.ExitStatus(waitStatus: 130 << 8) == .exited(130))
        #expect(FluxsProtocol.ExitStatus(waitStatus: 2) == .signaled(2))
    }

    @Test func worseIsTheLargerShellCode() {
        #expect(FluxsProtocol.ExitStatus.exited(0).worse(.exited(3)) == .exited(3))
        #expect(FluxsProtocol.ExitStatus.exited(3).worse(.exited(1)) == .exited(3))
        #expect(FluxsProtocol.ExitStatus.exited(1).worse(.signaled(9)) == .signaled(9))
        #expect(FluxsProtocol.ExitStatus.signaled(2).worse(.exited(130)) == .signaled(2))
        #expect(FluxsProtocol.ExitStatus.exited(130).worse(.signaled(2)) == .signaled(2))
        #expect(FluxsProtocol.ExitStatus.signaled(9).shellCode == 137)
    }
}

@Suite struct JobKeysTests {
    @Test func layout() throws {
        let id = JobID(0x1234_5678_9abc_def0)
        let keys = JobKeys(id)
        #expect(keys.directory == "job.1234.5678.9abc.def0")
        #expect(keys.eventlog == "job.1234.5678.9abc.def0.eventlog")
        #expect(keys.output == "job.1234.5678.9abc.def0.guest.output")
        #expect(keys.input == "job.1234.5678.9abc.def0.guest.input")
        #expect(keys.jobspec.hasSuffix(".jobspec") && keys.R.hasSuffix(".R"))
        let parsed = try #require(JobKeys.parse(keys.key("pmi.3.kvs")))
        #expect(parsed.keys == keys)
        #expect(parsed.rest == ["pmi", "3", "kvs"])
        #expect(JobKeys.guestWritable(parsed.rest))
        #expect(!JobKeys.guestWritable(["eventlog"]))
        #expect(JobKeys.parse("job.12") == nil)
        #expect(JobKeys.parse("resource.R") == nil)
    }

    /// `job(of:)` finds the job of a key as the KVS writes it (four lower-case digits a
    /// group), from the bytes alone.
    @Test func jobOfAKey() {
        let keys = JobKeys(JobID(0x1234_5678_9abc_def0))
        for key in [keys.directory, keys.eventlog, keys.key("pmi.3.kvs")] { #expect(JobKeys.job(of: key) == keys.id) }
        for key in ["job", "job.1234.5678.9abc", "job.1234.5678.9abc.def", "job.1234.5678.9abc.def0x", "job.1234.5678.9ABC.def0",
                    "jobs.1234.5678.9abc.def0", "resource.R", "."] {
            #expect(JobKeys.job(of: key) == nil, "\(key)")
        }
    }
}

@Suite struct CodecTests {
    static let R = try! ResourceSet(json: try! JSONValue(parsing: """
        {"version":1,"execution":{"R_lite":[{"rank":"0","children":{"core":"0-1"}}],"nodelist":["n0"],"starttime":0,"expiration":0}}
        """))

    @Test func schedAllocRoundTrips() throws {
        let asked = SchedAllocRequest(id: JobID(42), priority: 7, userid: 1000, submitTime: 12.5, jobspec: ["version": 1])
        #expect(try SchedAllocRequest(json: asked.json) == asked)
        for answer: SchedAllocResponse in [.success(JobID(42), Self.R), .annotate(JobID(42), annotations: ["sched": ["reason_pending": "x"]]),
                                           .cancel(JobID(.max))] {
            #expect(try SchedAllocResponse(json: answer.json) == answer)
        }
    }

    @Test func malformedAnswersAreEPROTONamingTheProblem() {
        #expect(throws: ServiceError.self) { try SchedAllocResponse(json: ["id": 1, "type": "sucess"]) }
        do {
            _ = try SchedAllocResponse(json: ["id": 1, "type": "success", "R": ["version": 99]])
            Issue.record("accepted an unreadable R")
        } catch {
            #expect(error.errnum == EPROTO)
            #expect(error.message.contains("unreadable R"))
        }
        #expect(throws: ServiceError.self) { try ExecReport(json: ["type": "finish"]) }
        #expect(throws: ServiceError.self) { try ShellReport(json: ["type": "exited", "status": "x"]) }
        #expect(throws: ServiceError.self) { try SchedAllocRequest(json: ["id": 1]) }
        #expect(throws: ServiceError.self) { try SchedPrioritize(json: ["jobs": [[1]]]) }
        #expect(throws: ServiceError.self) { try KVSCommitRequest(json: ["ops": [["op": "put", "key": "a"]]]) }
    }

    @Test func execMessagesRoundTrip() throws {
        let job = ExecJob(id: JobID(9), jobspec: ["version": 1], R: Self.R.json, userid: 1001)
        #expect(try ExecJob(json: job.json, owner: 0) == job)
        #expect(try ExecJob(json: ["id": 9, "jobspec": [:], "R": [:]], owner: 77).userid == 77)
        for report: ExecReport in [.start, .exception(note: "no"), .finish(.exited(130)), .finish(.signaled(2))] {
            #expect(try ExecReport(json: report.json) == report)
        }
        for report: ShellReport in [.started, .exited(.exited(0), error: nil), .exited(.signaled(9), error: "rank 1: gone")] {
            #expect(try ShellReport(json: report.json) == report)
        }
        let kill = ExecKill(id: JobID(9), signal: SIGKILL, terminate: true)
        #expect(try ExecKill(json: kill.json) == kill)
        #expect(try ExecKill(json: ["id": 9]).signal == SIGTERM)
        #expect(throws: ServiceError.self) { try ExecKill(json: ["id": 9, "signal": 99]) }
        let launch = ShellLaunch(id: JobID(9), rank: 3, uri: "local:///tmp/x", jobspec: [:], R: Self.R.json,
                                 cgroup: "/sys/fs/cgroup/x", tmpdir: "/tmp/j", coreCPUs: ["0,2", "1,3"])
        #expect(try ShellLaunch(json: launch.json) == launch)
    }

    @Test func otherRequestsRoundTrip() throws {
        let hello = SchedHello(running: [.init(id: JobID(5), R: Self.R)])
        #expect(try SchedHello(json: hello.json) == hello)
        let prioritize = SchedPrioritize([(JobID(5), 16), (JobID(6), 0)])
        #expect(try SchedPrioritize(json: prioritize.json) == prioritize)
        let raise = JobRaise(id: JobID(5), type: "node-failure", note: "lost rank 3")
        #expect(try JobRaise(json: raise.json) == raise)
        var commit = KVSCommitRequest([.put("a.b", 1), .append("c", "x\n"), .unlink("d", recursive: true), .mkdir("e")], namespace: "ns")
        commit.fence = ("f", 2)
        commit.owners = [JobID(5): 1001, JobID(.max): 0]
        commit.inactive = [JobID(5), JobID(7)]
        #expect(try KVSCommitRequest(json: commit.json) == commit)
        #expect(throws: ServiceError.self) { try KVSCommitRequest(json: ["ops": [], "inactive": ["x"]]) }
        #expect(throws: ServiceError.self) { try KVSCommitRequest(json: ["ops": [], "owners": [[5, -1]]]) }
        #expect(try JobRequest(json: JobRequest(JobID(.max)).json).id == JobID(.max))
    }
}
