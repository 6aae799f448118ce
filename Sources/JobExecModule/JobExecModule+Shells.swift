// Every rank: starting a job's shell, reporting its end, signalling it.
import FluxsBroker
import FluxsFormats
import FluxsMessage
import FluxsProtocol
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
        let job = try ExecJob(json: body, owner: getuid())
        let id = job.id
        guard shells[id] == nil else { throw ServiceError(EEXIST, "rank \(context.rank): job \(id.formatted(.f58)) already has a shell") }
        let directory = OutputTemplate.jobDirectory(id: id, rank: context.rank, broker: getpid(), environment: ProcessEnvironment.current)
        var input = ShellLaunch(id: id, rank: context.rank, uri: context.attribute("local-uri") ?? "", jobspec: job.jobspec,
                                R: job.R, tmpdir: directory, coreCPUs: (coreCPUs?.arrayValue ?? []).map { $0.stringValue ?? "" })
        let userid = job.userid
        let imp = userid == getuid() ? nil : try Self.imp()
        if imp != nil, job.signed == nil {
            throw ServiceError(EPERM, "rank \(context.rank): a guest's job needs its signed request (J) for fluxs-imp, and job \(id.formatted(.f58)) has none")
        }
        var cgroup = cgroups.make(jobID: id.value)
        if let made = cgroup, imp != nil {
            // The guest's shell joins the cgroup itself: only root can hand it over.
            if getuid() == 0 { _ = chown(made + "/cgroup.procs", userid, UInt32.max) } else {
                rmdir(made)
                cgroup = nil
            }
        }
        input.cgroup = cgroup
        let shell: ShellProcess
        do {
            shell = try ShellProcess(input: input.json, request: request, reactor: context.reactor,
                                     imp: imp.map { [$0, "run", "--uid=\(userid)", "--jobid=\(id.value)", "--sign-fd=4"] } ?? [],
                                     signed: job.signed, zygote: imp == nil ? try shellZygote() : nil)
        } catch {
            if let cgroup { rmdir(cgroup) }
            throw ServiceError(error.errnum, "rank \(context.rank): cannot start fluxs-shell: \(error.message)")
        }
        if let error = shell.zygoteError {
            context.log(.err, "rank \(context.rank): the shell zygote failed (\(error.message)); job \(id.formatted(.f58))'s shell was spawned")
        }
        shell.cgroup = cgroup
        shell.directory = directory
        do {
            let exited: (Int32) -> Void = { [weak self] status in self?.shellExited(id, shell, ExitStatus(waitStatus: status)) }
            if let zygote = shell.zygote { try zygote.onExit(shell.pid, exited) } else { try context.reactor.onChildExit(shell.pid, exited) }
        } catch {
            shell.killGroup(SIGKILL)
            throw ServiceError(error.errnum, "rank \(context.rank): cannot watch fluxs-shell: \(error)")
        }
        shells[id] = shell
        launched += 1
        context.respond(to: request, ShellReport.started.json)
    }

    /// The rank's shell zygote, started when first needed (again if it died); nil when
    /// `job-exec.zygote` is off, or when it cannot start (job-exec spawns shells then).
    private func shellZygote() throws(ServiceError) -> ShellZygote? {
        guard context.attribute("job-exec.zygote") != "off" else { return nil }
        if let zygote, zygote.alive { return zygote }
        do {
            zygote = try ShellZygote(reactor: context.reactor)
        } catch {
            context.log(.err, "rank \(context.rank): cannot start the shell zygote; shells are spawned: \(error.message)")
            zygote = nil
        }
        return zygote
    }

    private func shellExited(_ id: JobID, _ shell: ShellProcess, _ status: ExitStatus) {
        // Whatever the tasks left behind in the group (and the cgroup) goes with the shell
        // (the zygote killed the group of a shell it forked before it reaped it).
        if shell.zygote == nil { shell.killGroup(SIGKILL) }
        if let cgroup = shell.cgroup { cgroups.release(cgroup, reactor: context.reactor) }
        // A shell that was killed could not remove the job's directory.
        if let directory = shell.directory { Self.removeJobDirectory(directory) }
        shell.closeStderr()
        guard shells[id] === shell else { return }
        shells[id] = nil
        let text = shell.errorText
        var error: String?
        if !text.isEmpty {
            context.log(.info, "job \(id.formatted(.f58)): \(text)")
            if !status.succeeded { error = "rank \(context.rank): \(text)" }
        }
        context.respond(to: shell.request, ShellReport.exited(status, error: error).json)
        context.respond(to: shell.request, error: ServiceError(ENODATA, ""))
    }

    func signalShell(_ request: Message, _ body: JSONValue) throws(ServiceError) {
        guard body["signal"] != nil else { throw ServiceError(EINVAL, "a signal 1-64 is needed") }
        let signal = try ShellSignal(json: body)
        let id = signal.id, signo = signal.signal
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
            context.rpc(.resource.infoLocal, [:]) { [weak self] response in
                guard let self else { return }
                if response.errnum == EAGAIN, attempt < 100 {
                    _ = self.context.reactor.after(0.05) { ask(attempt + 1) }
                    return
                }
                var map: JSONValue?
                do throws(ServiceError) {
                    if response.errnum != 0 { throw ServiceError(response: response) }
                    map = try response.json()["inventory"]?["core_cpus"]
                } catch {
                    self.context.log(.warning, "job-exec: no core-to-CPU map of this node (tasks go unbound): \(error.message)")
                }
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
