// Every rank: starting a job's shell, reporting its end, signalling it.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

extension JobExecModule {
    func launchShell(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "job-exec.launch is a streaming request") }
        let id = try Self.jobID(body)
        guard shells[id] == nil else { throw ServiceError(EEXIST, "rank \(context.rank): job \(id.formatted(.f58)) already has a shell") }
        var input: [String: JSONValue] = [
            "id": body["id"] ?? .null, "rank": .int(Int64(context.rank)),
            "uri": .string(context.attribute("local-uri") ?? ""), "jobspec": body["jobspec"] ?? .null, "R": body["R"] ?? .null,
        ]
        let cgroup = cgroups.make(jobID: id.value)
        if let cgroup { input["cgroup"] = .string(cgroup) }
        let shell: ShellProcess
        do {
            shell = try ShellProcess(input: .object(input), request: request, reactor: context.reactor)
        } catch {
            if let cgroup { rmdir(cgroup) }
            throw ServiceError(error.errnum, "rank \(context.rank): cannot start fluxs-shell: \(error.message)")
        }
        shell.cgroup = cgroup
        do {
            try context.reactor.onChildExit(shell.pid) { [weak self] status in self?.shellExited(id, shell, status) }
        } catch {
            shell.killGroup(SIGKILL)
            throw ServiceError(error.errnum, "rank \(context.rank): cannot watch fluxs-shell: \(error)")
        }
        shells[id] = shell
        launched += 1
        context.respond(to: request, ["type": "started"])
    }

    private func shellExited(_ id: JobID, _ shell: ShellProcess, _ status: ExitStatus) {
        // Whatever the tasks left behind in the group (and the cgroup) goes with the shell.
        shell.killGroup(SIGKILL)
        if let cgroup = shell.cgroup { cgroups.release(cgroup, reactor: context.reactor) }
        shell.closeStderr()
        guard shells[id] === shell else { return }
        shells[id] = nil
        let text = shell.errorText
        var report: [String: JSONValue] = ["type": "exited", "code": .int(Int64(status.shellCode))]
        if !text.isEmpty {
            context.log(.info, "job \(id.formatted(.f58)): \(text)")
            if status != .exited(0) { report["error"] = .string("rank \(context.rank): \(text)") }
        }
        context.respond(to: shell.request, .object(report))
        context.respond(to: shell.request, error: ServiceError(ENODATA, ""))
    }

    func signalShell(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        let id = try Self.jobID(body)
        guard let signo = body["signal"]?.intValue, signo > 0, signo < 65 else { throw ServiceError(EINVAL, "a signal 1-64 is needed") }
        guard let shell = shells[id] else { throw ServiceError(ENOENT, "rank \(context.rank): job \(id.formatted(.f58)) has no shell here") }
        shell.killGroup(Int32(signo))
        context.respond(to: request, [:])
    }
}
