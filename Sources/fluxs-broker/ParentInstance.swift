// A broker started as a task of a job (by a parent instance's job shell, for fluxs
// alloc and fluxs batch) belongs to a child instance: FLUXS_URI names the parent's
// broker on this node and FLUXS_JOB_ID the job. Before the broker starts, this sets the
// attributes parent-uri, jobid and instance-level (the parent's plus one), and on rank 0
// resource.R: the job's R as the child sees it (ResourceSet.renumbered), with
// resource.noverify (the parent verified those resources). Once the child
// is up, rank 0 tells the parent where to reach it: the memo {"uri": ...} on the job
// (job-manager.memo), which `fluxs uri`, `fluxs proxy`, `fluxs jobs` and `fluxs pstree`
// read.
import FluxsBroker
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// The instance a child instance runs in, and the job it is.
struct ParentInstance {
    let uri: FluxsURI
    let jobid: JobID

    /// The parent named by the environment, or nil for a top-level instance.
    static func fromEnvironment() -> ParentInstance? {
        guard let uriText = getenv("FLUXS_URI").map({ String(cString: $0) }),
              let idText = getenv("FLUXS_JOB_ID").map({ String(cString: $0) }),
              let uri = try? FluxsURI(parsing: uriText), let jobid = try? JobID(parsing: idText) else { return nil }
        return ParentInstance(uri: uri, jobid: jobid)
    }

    /// Sets the child's attributes from the parent (R only on rank 0, and only when the
    /// command line gave no resource.R or resource.path).
    func configure(_ attributes: inout Attributes, rank: UInt32) throws(ServiceError) {
        let handle = try FluxsHandle(uri: uri)
        let level = Int(try handle.rpc(.attr.get, ["name": "instance-level"])["value"]?.stringValue ?? "0") ?? 0
        try attributes.setAtStart("parent-uri", uri.description)
        try attributes.setAtStart("instance-level", String(level + 1))
        try attributes.setAtStart("jobid", jobid.formatted(.f58))
        guard rank == 0, attributes["resource.R"] == nil, attributes["resource.path"] == nil else { return }
        let key = JobKeys(jobid).R
        guard let json = try handle.rpc(.kvs.get, ["key": .string(key)])["value"] else {
            throw ServiceError(ENOENT, "the parent has no R for job \(jobid.formatted(.f58))")
        }
        let R: ResourceSet
        do { R = try ResourceSet(json: json) } catch { throw ServiceError(EPROTO, "the job's R: \(error.message)") }
        try attributes.setAtStart("resource.R", R.renumbered().json.compactText)
        // The parent checked these resources; the child's view of them (renumbered,
        // restricted to its CPUs) is not for checking against the node's hostname or GPUs.
        if attributes["resource.noverify"] == nil { try attributes.setAtStart("resource.noverify", "1") }
    }

    /// Posts the child's URI on the parent's job, off the broker's loop.
    func announce(uri local: String, worker: Worker, log: @escaping @Sendable (String) -> Void) {
        let parent = uri
        let id = jobid
        worker.post {
            do throws(ServiceError) {
                let handle = try FluxsHandle(uri: parent)
                try handle.rpc(.jobManager.memo, ["id": id.wire, "memo": ["uri": .string(local)]])
            } catch {
                log("cannot tell the parent instance this instance's URI: \(error.message)")
            }
        }
    }
}
