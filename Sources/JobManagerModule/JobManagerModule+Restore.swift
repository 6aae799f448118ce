// Start-up: every job in the KVS is rebuilt by replaying its eventlog (with its jobspec
// and R); pending jobs are queued again, jobs that were running get an exception (their
// shells did not survive), the scheduler learns the allocations that still exist
// (sched.hello), and only then are requests served.
import FluxsBroker
import FluxsFormats
import FluxsJobs
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

extension JobManagerModule {
    func restore() {
        context.rpc(.kvs.lookup, ["key": "job"]) { [unowned self] response in
            var records: [JobRecord] = []
            do throws(ServiceError) {
                // No job directory yet is a new instance; anything else must be said.
                if response.errnum != 0, response.errnum != ENOENT { throw ServiceError(response: response) }
                if response.errnum == 0, let tree = try response.json()["dir"] { self.collect(tree, path: [], into: &records) }
            } catch {
                self.context.log(.err, "job-manager: cannot read the jobs in the KVS; none restored: \(error.message)")
            }
            let now = Self.now()
            let (core, actions) = JobManagerCore.restore(records, at: now)
            self.core = core
            if let newest = records.map(\.id.timestamp).max(),
                let generator = try? FLUIDGenerator(generatorID: 0, startMilliseconds: newest + 1)
            {
                self.generator = generator
            }
            let held = records.filter { $0.allocated && ($0.state == .run || $0.state == .cleanup) }
            let running = held.compactMap { record in
                self.allocations[record.id].map { SchedHello.Allocation(id: record.id, R: $0) }
            }
            if !records.isEmpty {
                self.context.log(.info, "job-manager: \(records.count) job(s) restored from the KVS")
                // The KVS lets guests reach their jobs' keys by what the job manager says,
                // and may move inactive jobs' directories to disk.
                var owners: [JobID: UInt32] = [:]
                for record in records { owners[record.id] = record.userid }
                let inactive = records.filter { $0.state == .inactive }.map(\.id)
                self.context.rpc(.kvs.commit, KVSCommitRequest([], owners: owners, inactive: inactive).json) { [unowned self] answer in
                    if answer.errnum != 0 { self.context.log(.err, "job-manager: cannot tell the KVS its jobs' owners: \(answer.errorText)") }
                }
            }
            self.context.rpc(.sched.hello, SchedHello(running: running).json) { [unowned self] answer in
                // Without a scheduler jobs are denied when they ask for resources; say so once.
                if answer.errnum == ENOSYS {
                    self.context.log(.notice, "job-manager: no scheduler is loaded; jobs cannot be allocated")
                } else if answer.errnum != 0 {
                    self.context.log(.err, "job-manager: sched.hello: \(answer.errorText)")
                }
                self.ready = true
                self.perform(actions)
                let queued = self.parked
                self.parked.removeAll()
                for request in queued { self.context.dispatch(request) }
            }
        }
    }

    /// Walks job.<a>.<b>.<c>.<d> directories and rebuilds each job found.
    private func collect(_ tree: JSONValue, path: [String], into records: inout [JobRecord]) {
        guard let entries = tree.objectValue else { return }
        if path.count == 4 {
            guard let id = try? JobID(parsing: path.joined(separator: ".")),
                let spec = entries["jobspec"]?["value"], let jobspec = try? Jobspec(validating: spec),
                let log = entries["eventlog"]?["value"]?.stringValue, let events = try? Eventlog.parse(log)
            else {
                return context.log(.err, "job-manager: job.\(path.joined(separator: ".")) is unreadable; skipped")
            }
            let R = entries["R"]?["value"].flatMap { try? ResourceSet(json: $0) }
            guard let record = try? JobRecord(replaying: events, id: id, summary: JobSummary(jobspec: jobspec), resources: R) else {
                return context.log(.err, "job-manager: the eventlog of job \(id) does not replay; skipped")
            }
            if record.state != .inactive {
                jobspecs[id] = spec
                signatures[id] = entries["J"]?["value"]?.stringValue
            }
            if let R, record.allocated { allocations[id] = R }
            records.append(record)
            return
        }
        for (name, entry) in entries { collect(entry["dir"] ?? [:], path: path + [name], into: &records) }
    }
}
