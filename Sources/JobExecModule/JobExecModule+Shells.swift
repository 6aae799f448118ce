// Every rank: starting a job's shell, reporting its end, signalling it.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

extension JobExecModule {
    /// Starts a job's shell; `cpusAsked`: the core-to-CPU map was asked for already
    /// (without it, the shell's tasks are not bound).
    func launchShell(_ request: Message, _ body: JSONValue, cpusAsked: Bool = false) throws(ServiceError) {
        guard request.flags.contains(.streaming) else { throw ServiceError(EPROTO, "job-exec.launch is a streaming request") }
        if coreCPUs == nil, !cpusAsked {
            return withCoreCPUs { [weak self] in
                guard let self else { return }
                do throws(ServiceError) { try self.launchShell(request, body, cpusAsked: true) } catch {
                    self.context.respond(to: request, error: error)
                }
            }
        }
        let id = try body.jobID()
        guard shells[id] == nil else { throw ServiceError(EEXIST, "rank \(context.rank): job \(id.formatted(.f58)) already has a shell") }
        var input: [String: JSONValue] = [
            "id": body["id"] ?? .null, "rank": .int(Int64(context.rank)),
            "uri": .string(context.attribute("local-uri") ?? ""), "jobspec": body["jobspec"] ?? .null, "R": body["R"] ?? .null,
        ]
        input["core_cpus"] = coreCPUs
        let directory = OutputTemplate.jobDirectory(id: id, rank: context.rank, broker: getpid(), environment: ProcessEnvironment.current)
        input["tmpdir"] = .string(directory)
        let userid = try Self.userid(body)
        let imp = userid == getuid() ? nil : try Self.imp()
        var cgroup = cgroups.make(jobID: id.value)
        if let made = cgroup, imp != nil {
            // The guest's shell joins the cgroup itself: only root can hand it over.
            if getuid() == 0 { _ = chown(made + "/cgroup.procs", userid, UInt32.max) } else {
                rmdir(made)
                cgroup = nil
            }
        }
        if let cgroup { input["cgroup"] = .string(cgroup) }
        let shell: ShellProcess
        do {
            shell = try ShellProcess(input: .object(input), request: request, reactor: context.reactor,
                                     imp: imp.map { [$0, "run", "--uid=\(userid)"] } ?? [])
        } catch {
            if let cgroup { rmdir(cgroup) }
            throw ServiceError(error.errnum, "rank \(context.rank): cannot start fluxs-shell: \(error.message)")
        }
        shell.cgroup = cgroup
        shell.directory = directory
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
        // A shell that was killed could not remove the job's directory.
        if let directory = shell.directory { Self.removeJobDirectory(directory) }
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
        let id = try body.jobID()
        guard let signo = try body.signal() else { throw ServiceError(EINVAL, "a signal 1-64 is needed") }
        guard let shell = shells[id] else { throw ServiceError(ENOENT, "rank \(context.rank): job \(id.formatted(.f58)) has no shell here") }
        shell.killGroup(signo)
        context.respond(to: request, [:])
    }

    /// Runs `then` once this node's core-to-CPU map is known (asked of the resource
    /// service once; an empty map when it cannot say, and tasks are then not bound).
    private func withCoreCPUs(_ then: @escaping () -> Void) {
        waitingForCPUs.append(then)
        guard waitingForCPUs.count == 1 else { return }
        func ask(_ attempt: Int) {
            context.rpc("resource.info-local", [:]) { [weak self] response in
                guard let self else { return }
                if response.errnum == EAGAIN, attempt < 100 {
                    _ = self.context.reactor.after(0.05) { ask(attempt + 1) }
                    return
                }
                let body = try? JSONValue(parsing: response.payload)
                let map = body?["inventory"]?["core_cpus"]
                // Kept only when known: a later launch asks again.
                if let map, !(map.arrayValue?.isEmpty ?? true) { self.coreCPUs = map }
                let waiting = self.waitingForCPUs
                self.waitingForCPUs.removeAll()
                waiting.forEach { $0() }
            }
        }
        ask(0)
    }

    /// Removes a job directory the shell left, only if it is a real directory (not a
    /// link someone put in its place) of the user the shell ran as.
    static func removeJobDirectory(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid() else { return }
        Descriptors.removeTree(path)
    }

    /// The IMP that starts guests' shells: fluxs-imp beside the broker, setuid root.
    static func imp() throws(ServiceError) -> String {
        let path = ProcessEnvironment.besideMe("fluxs-imp")
        var st = stat()
        guard stat(path, &st) == 0, st.st_uid == 0, st.st_mode & S_ISUID != 0 else {
            throw ServiceError(EPERM, "guest jobs need fluxs-imp installed setuid root beside fluxs-broker (make install, as root); \(path) is not")
        }
        return path
    }
}
