// The job shell: one per job and node, started by job-exec (man fluxs-shell(1)). It
// works out its tasks from the jobspec and R, starts them with their environment,
// working directory, CPU and GPU binding, PMI and stdio, passes input to them, and
// ends once they all have, as the worst of them did: it exits with the largest exit
// code, or, when that task was killed by signal N (128 + N is larger than every exit
// code), it raises N on itself, so that job-exec reads the job's true wait status.
// Signals sent to the shell's process group reach the tasks; the shell itself only
// notes them.
import CFluxsSupport
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsShellCore
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// A running shell.
final class Shell {
    let input: ShellInput
    let reactor: Reactor
    let link: BrokerLink
    let layout: TaskLayout
    let shellIndex: Int
    let local: [TaskLayout.Task]
    private var sink: OutputSink!
    private var pmi: PMIBridge?
    private var tasks: [Int: TaskProcess] = [:]
    /// What the tasks' ends decide (FluxsShellCore).
    private var core: ShellCore
    private var inputCursor = EventlogCursor()
    private var directory: JobDirectory?
    /// Signals job-exec sends the job's process group, which its tasks get directly.
    private static let relayed: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH]
    /// Signals that came while the tasks were being started, with the index of the first
    /// local task that did not exist yet (and so missed it).
    private var missed: [Int32: Int] = [:]

    /// `fluxs-shell[N]`: how the shell names itself in messages.
    var me: String { "fluxs-shell[\(shellIndex)]" }

    init(input: ShellInput, reactor: Reactor) throws {
        self.input = input
        self.reactor = reactor
        layout = try TaskLayout(jobspec: input.jobspec, R: input.R)
        guard let index = layout.shellIndex(ofRank: input.rank) else {
            throw ParseError("rank \(input.rank) holds no part of the job")
        }
        shellIndex = index
        local = layout.nodes[index].tasks
        core = ShellCore(me: "fluxs-shell[\(index)]", exitOnError: input.options.exitOnError,
                         tasksAreBrokers: input.jobspec.task.command.first?.hasSuffix("fluxs-broker") == true)
        link = try BrokerLink(uri: try FluxsURI(parsing: input.uri), reactor: reactor)
    }

    /// Starts everything; the reactor does the rest.
    func start() {
        // Without its broker nobody would end the job: take every process of the job
        // along, the shell included (its cgroup when it has one, else its process group).
        signal(SIGPIPE, SIG_IGN)
        link.onLost = { [unowned self] error in
            writeStderr("\(self.me): error: lost the broker: \(error.message)\n")
            self.killTasks(SIGKILL)
            if let cgroup = self.input.cgroup { Descriptors.writeFile(cgroup + "/cgroup.kill", "1") }
            killpg(0, SIGKILL)
            exit(1)
        }
        if let cgroup = input.cgroup { joinCgroup(cgroup) }
        for signo in Self.relayed where signo != SIGTERM {
            try? reactor.onSignal(signo) {}
        }
        // SIGTERM is job-exec ending the job: tasks that die of it are no news.
        try? reactor.onSignal(SIGTERM) { [unowned self] in self.core.terminate() }
        do {
            sink = try OutputSink(link: link, reactor: reactor, id: input.id,
                                  paths: OutputTemplate.files(id: input.id, jobspec: input.jobspec), label: input.options.label)
        } catch {
            fatal("\(error)")
        }
        checkFiles()
        do {
            let path = input.tmpdir ?? OutputTemplate.jobDirectory(id: input.id, rank: input.rank, broker: getppid(),
                                                                   environment: ProcessEnvironment.current)
            do {
                directory = try JobDirectory(path: path, jobspec: input.jobspec)
            } catch where access(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]), W_OK) != 0 {
                // A guest's shell may not write the broker's TMPDIR: /tmp then.
                let name = path.split(separator: "/").last.map(String.init) ?? "fluxs-job"
                directory = try JobDirectory(path: "/tmp/" + name, jobspec: input.jobspec)
            }
        } catch {
            fatal(error.message)
        }
        if input.options.pmi, !local.isEmpty {
            do {
                pmi = try PMIBridge(layout: layout, shellIndex: shellIndex, id: input.id, link: link)
            } catch {
                fatal(error.message)
            }
            pmi?.onFatal = { [unowned self] rank, code, message in
                self.jobError(message)
                self.perform(self.core.aborted(rank: rank, code: Int(code), message: message))
            }
        }
        launch()
    }

    private func launch() {
        launchAll()
        pmi?.sockets.closeChildEnds()
        pmi?.serve(on: reactor)
        if input.options.input == .service { watchInput() }
        perform(core.launched())
    }

    /// The working directory and the input file must be there before any task starts.
    private func checkFiles() {
        if let cwd = input.jobspec.cwd {
            var st = stat()
            if stat(cwd, &st) != 0 { fatal("cannot change to directory \(cwd): \(ServiceError.text(of: errno))") }
            if (st.st_mode & S_IFMT) != S_IFDIR { fatal("cannot change to directory \(cwd): not a directory") }
            if access(cwd, X_OK) != 0 { fatal("cannot change to directory \(cwd): \(ServiceError.text(of: errno))") }
        }
        if case .file(let template) = input.options.input {
            let path = OutputTemplate.path(template, id: input.id, jobspec: input.jobspec)
            if access(path, R_OK) != 0 { fatal("cannot open input file \(path): \(ServiceError.text(of: errno))") }
        }
    }

    // MARK: - Tasks

    private func launchAll() {
        let options = input.options
        let base = taskEnvironment()
        var original = [UInt8](repeating: 0, count: 128)
        let haveMask = fluxs_affinity_mask(&original, original.count) == 0
        let nodeCores = local.reduce(into: Set<UInt32>()) { $0.formUnion($1.cores) }.sorted()
        let nodeGPUs = local.reduce(into: Set<UInt32>()) { $0.formUnion($1.gpus) }.sorted()
        for (index, task) in local.enumerated() {
            var request = SpawnRequest(argv: input.jobspec.task.command.map { directory?.render($0) ?? $0 }, environment: base)
            request.directory = input.jobspec.cwd
            request.environment["FLUXS_TASK_RANK"] = String(task.rank)
            request.environment["FLUXS_TASK_LOCAL_ID"] = String(task.localID)
            let gpus = options.gpuAffinity == .perTask ? task.gpus : nodeGPUs
            if options.gpuAffinity != .off, !gpus.isEmpty {
                let list = gpus.map(String.init).joined(separator: ",")
                request.environment["CUDA_VISIBLE_DEVICES"] = list
                request.environment["ROCR_VISIBLE_DEVICES"] = list
            }
            switch options.input {
            case .none: request.fileActions.append(.open(0, path: "/dev/null", flags: O_RDONLY))
            case .file(let path):
                request.fileActions.append(.open(0, path: OutputTemplate.path(path, id: input.id, jobspec: input.jobspec), flags: O_RDONLY))
            case .service: break
            }
            pmi?.prepare(&request, index: index, localCount: local.count)
            if haveMask, options.cpuAffinity != .off {
                let cores = options.cpuAffinity == .perTask ? task.cores : nodeCores
                let cpus = cores.flatMap { input.coreCPUs[$0] ?? [] }
                if cpus.isEmpty || fluxs_set_affinity(Self.mask(cpus), 128) != 0 { _ = fluxs_set_affinity(original, original.count) }
            }
            // As late as can be: only a signal that comes between this and the fork is lost.
            request.justBefore = { [unowned self] in self.notePendingSignals(before: index) }
            do {
                let process = try TaskProcess(
                    rank: task.rank, request: request, stdinPipe: options.input == .service, reactor: reactor,
                    unbuffered: options.unbuffered) { [unowned self] record in self.sink.add(record) }
                tasks[task.rank] = process
                core.started()
                try reactor.onChildExit(process.pid) { [unowned self] status in self.exited(task.rank, ExitStatus(waitStatus: status)) }
            } catch let error as ServiceError {
                startFailed(task.rank, error)
            } catch {
                startFailed(task.rank, ServiceError(EINVAL, "\(error)"))
            }
        }
        if haveMask { _ = fluxs_set_affinity(original, original.count) }
        relayMissedSignals()
    }

    /// A signal sent to the process group before task `index` started is still pending
    /// here (the reactor blocks it until its loop runs): that task and the later ones
    /// missed it.
    private func notePendingSignals(before index: Int) {
        var pending = sigset_t()
        sigemptyset(&pending)
        guard sigpending(&pending) == 0 else { return }
        for signo in Self.relayed where missed[signo] == nil && sigismember(&pending, signo) == 1 {
            missed[signo] = index
        }
    }

    /// Gives the tasks that started after a signal came that signal (a kill or cancel
    /// right after the start event must not be lost). The task started just before a
    /// signal was first seen may have started before it came, or just after (inside
    /// posix_spawn): it gets it too when /proc shows it cannot have had it.
    private func relayMissedSignals() {
        notePendingSignals(before: local.count)
        for (signo, first) in missed {
            var from = first
            if first > 0, let process = tasks[local[first - 1].rank], Self.neverGot(signo, pid: process.pid) { from -= 1 }
            for task in local.dropFirst(from) {
                if let process = tasks[task.rank] { kill(process.pid, signo) }
            }
        }
        missed.removeAll()
    }

    /// Whether process `pid` cannot have received `signo`, one that ends a process that
    /// neither catches nor ignores it: it is alive, does not catch or ignore it, and it
    /// is not pending there.
    private static func neverGot(_ signo: Int32, pid: pid_t) -> Bool {
        guard [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM].contains(signo),
              let status = try? Descriptors.readFile("/proc/\(pid)/status") else { return false }
        let bit = UInt64(1) << UInt64(signo - 1)
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].drop { $0 == " " || $0 == "\t" }
            switch parts[0] {
            case "State" where value.hasPrefix("Z") || value.hasPrefix("X"): return false
            case "SigPnd", "ShdPnd", "SigIgn", "SigCgt":
                if (UInt64(value, radix: 16) ?? bit) & bit != 0 { return false }
            default: continue
            }
        }
        return true
    }

    /// A task that could not start: its stderr says why; it counts as exit code 127
    /// (126 for a file that may not be run).
    private func startFailed(_ rank: Int, _ error: ServiceError) {
        let code: Int32 = error.errnum == EACCES || error.errnum == ENOEXEC ? 126 : 127
        var reason = error.message
        if error.errnum == ENOENT, let name = input.jobspec.task.command.first { reason = "\(name): command not found" }
        sink.add(.data(stream: "stderr", ranks: String(rank), text: "\(me): error: task \(rank): \(reason)\n"))
        sink.add(.eof(stream: "stdout", ranks: String(rank)))
        sink.add(.eof(stream: "stderr", ranks: String(rank)))
        core.startFailed(notRunnable: code == 126)
    }

    private func exited(_ rank: Int, _ status: ExitStatus) {
        let actions = core.exited(rank: rank, status)
        tasks[rank]?.finishOutput()
        tasks[rank]?.closeAll()
        tasks[rank] = nil
        perform(actions)
    }

    /// Performs what the core decided.
    private func perform(_ actions: [ShellCore.Action]) {
        for action in actions {
            switch action {
            case .raise(let note):
                link.rpc(.jobManager.raise, JobRaise(id: input.id, type: "exec", note: note).json)
            case .killTasks(let signo):
                killTasks(signo)
            case .finish(let status, let abortCode):
                pmi?.stop()
                directory?.remove()
                sink.flush {
                    if let abortCode { exit(abortCode) }
                    Self.end(as: status)
                }
            }
        }
    }

    /// Ends the shell as `status` says: exits with the code, or dies of the signal
    /// (default action restored and unblocked, no core file of the shell's own).
    static func end(as status: ExitStatus) -> Never {
        guard case .signaled(let signo) = status, signo > 0, signo < 65 else { exit(status.shellCode & 0xff) }
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
        signal(signo, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signo)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        raise(signo)
        // A signal whose default is not to end a process (none ends a task that way).
        exit(status.shellCode & 0xff)
    }

    private func killTasks(_ signo: Int32) {
        for task in tasks.values { kill(task.pid, signo) }
    }

    // MARK: - Set-up

    /// Moves the shell into the cgroup job-exec made for it; its tasks will start there.
    private func joinCgroup(_ path: String) {
        Descriptors.writeFile(path + "/cgroup.procs", "0")
    }


    /// The environment common to the tasks: the submitter's, plus the job's variables.
    private func taskEnvironment() -> [String: String] {
        var env = input.jobspec.environment
        env["FLUXS_JOB_ID"] = input.id.formatted(.f58)
        env["FLUXS_JOB_SIZE"] = String(layout.size)
        env["FLUXS_JOB_NNODES"] = String(layout.nodes.count)
        env["FLUXS_URI"] = input.uri
        if let directory { env["FLUXS_JOB_TMPDIR"] = directory.path }
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return env
    }

    /// A CPU bit mask (bit n = CPU n) of 1,024 CPUs.
    static func mask(_ cpus: [UInt32]) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: 128)
        for cpu in cpus where cpu < 1024 { mask[Int(cpu / 8)] |= UInt8(1 << (cpu % 8)) }
        return mask
    }

    // MARK: - Input

    /// Follows guest.input: data for some ranks goes to their stdin, eof closes it.
    private func watchInput() {
        let key = JobKeys(input.id).input
        link.rpc(.kvs.watch, ["key": .string(key)], streaming: true) { [weak self] response in
            guard let self, response.errnum != ENODATA else { return }
            do {
                if response.errnum != 0 { throw ServiceError(response: response) }
                guard let text = try response.json()["value"]?.stringValue else { return }
                try self.inputCursor.newEntries(text).forEach(self.deliver)
            } catch {
                // The tasks' stdin would never close: say so on the job's stderr.
                self.jobError("cannot follow the job's input: \(error)")
            }
        }
    }

    private func deliver(_ entry: EventlogEntry) {
        guard let record = OutputRecord(entry) else { return }
        func targets(_ ranks: String) -> [TaskProcess] {
            if ranks == "all" { return Array(tasks.values) }
            guard let set = try? IDSet(parsing: ranks) else { return [] }
            return tasks.values.filter { set.contains(UInt32($0.rank)) }
        }
        switch record {
        case .data(_, let ranks, let text): targets(ranks).forEach { $0.writeInput(text) }
        case .eof(_, let ranks): targets(ranks).forEach { $0.closeInput() }
        case .header: break
        }
    }

    // MARK: - Errors

    /// A message on the job's stderr, as from this shell.
    func jobError(_ message: String) {
        sink?.add(.data(stream: "stderr", ranks: String(local.first?.rank ?? 0), text: "\(me): error: \(message)\n"))
    }

    /// The shell cannot run the job: it says why on its stderr, which job-exec turns into
    /// an exec exception, and exits 1.
    func fatal(_ message: String) -> Never {
        writeStderr("\(me): \(message)\n")
        exit(1)
    }
}
