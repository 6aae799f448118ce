// sched.expiration {id, expiration} -> {}: the job manager moves a running job's end (a
// duration update by the instance owner, fluxs-update(1)). Refused when the job holds
// nothing here (ENOENT), and in an instance that itself ends (a child instance) when the
// new expiration is past that end or none (EINVAL): its jobs cannot outlive it.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
#if canImport(Glibc)
import Glibc
#endif

extension SchedModule {
    func expiration(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let id = try body.jobID()
        guard let expiration = try body.number("expiration"), expiration >= 0 else {
            throw ServiceError(EPROTO, "sched.expiration: missing \"expiration\" (0 or more seconds since the epoch)")
        }
        if instanceEnd > 0, expiration == 0 || expiration > instanceEnd {
            throw ServiceError(EINVAL, "the instance itself ends at \(instanceEnd) (Unix time): its jobs cannot outlive it")
        }
        try scheduler?.setExpiration(id, expiration)
        context.respond(to: request, [:])
        armPass()
    }
}
